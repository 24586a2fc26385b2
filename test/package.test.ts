/** The package as users get it: its entry point and its runtime dependencies. */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
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

  test('npm pack ships the built code, bin, docs and LICENSE, not the benchmarks or tests; prepack builds', () => {
    const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { scripts: Record<string, string>; license: string };
    // A clean clone has no dist/: packing builds it first.
    expect(pkg.scripts.prepack).toBe('npm run build');
    expect(pkg.license).toBe('MIT');
    expect(readFileSync(join(ROOT, 'LICENSE'), 'utf8')).toMatch(/^MIT License/);
    const [packed] = JSON.parse(execFileSync('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], { cwd: ROOT, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] })) as [{ files: { path: string }[] }];
    const files = packed.files.map((f) => f.path);
    for (const f of ['bin/run.js', 'dist/src/index.js', 'dist/src/index.d.ts', 'dist/commands/info.js', 'dist/commands/convert.js', 'dist/cli/stdio.js', 'oclif.manifest.json', 'LICENSE', 'README.md', 'docs/event-shape.md'])
      expect(files, f).toContain(f);
    expect(files.filter((f) => f.startsWith('dist/bench') || f.startsWith('test/') || f.startsWith('bench/') || f.startsWith('fixtures/'))).toEqual([]);
    expect(existsSync(join(ROOT, 'dist', 'bench'))).toBe(true); // built, just not shipped
  });

  test('the packed package starts on the fast path from its manifest, and help and errors still come from oclif', () => {
    const dir = mkdtempSync(join(tmpdir(), 'auditlog-pack-'));
    // The build ran already (npm test builds first); packing copies what it made.
    const [packed] = JSON.parse(execFileSync('npm', ['pack', '--json', '--ignore-scripts', '--pack-destination', dir], { cwd: ROOT, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] })) as [{ filename: string }];
    execFileSync('tar', ['xzf', join(dir, packed.filename), '-C', dir]);
    symlinkSync(join(ROOT, 'node_modules'), join(dir, 'package', 'node_modules'));
    const cli = (args: string[], env: NodeJS.ProcessEnv = {}) => spawnSync(process.execPath, [join(dir, 'package', 'bin', 'run.js'), ...args], { encoding: 'utf8', env: { ...process.env, ...env } });
    const tiny = fixturePath('public/mysql-utilities/audit.log.13951424704434196.xml');
    const fast = cli(['info', tiny], { NODE_DEBUG: 'module' });
    expect(fast.status).toBe(0);
    expect(fast.stderr).not.toContain('@oclif/core');
    expect(fast.stdout).toBe(spawnSync(process.execPath, [join(ROOT, 'bin', 'run.js'), 'info', tiny], { encoding: 'utf8' }).stdout);
    const help = cli(['--help']);
    expect(help.status).toBe(0);
    expect(help.stdout).toMatch(/COMMANDS[\s\S]*convert[\s\S]*info/);
    const typo = cli(['infoo', tiny]);
    expect([typo.status, typo.stderr]).toEqual([2, expect.stringContaining('Did you mean "info"?')]);
  }, 60_000);
});
