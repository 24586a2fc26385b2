/** The package as users get it: its entry point and its runtime dependencies. */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { ROOT, fixturePath } from './helpers.js';

describe('package', () => {
  test('the built entry point exports the reading, converting and inspecting API', async () => {
    const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { exports: { '.': { default: string } } };
    const api = (await import(join(ROOT, pkg.exports['.'].default))) as typeof import('../src/index.js');
    const entries = [];
    for await (const e of api.readAuditLog(fixturePath('public/ibm-guardium/audit_json.log'))) entries.push(e);
    expect(entries).toHaveLength(6);
    expect(typeof api.convert).toBe('function');
    expect((await api.inspect(fixturePath('percona/csv-mtr-filter-commands.csv'))).records).toBe(54);
  });

  test('one runtime dependency: the CLI framework', () => {
    const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { dependencies: Record<string, string> };
    expect(Object.keys(pkg.dependencies)).toEqual(['@oclif/core']);
  });
});
