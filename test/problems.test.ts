/** The problems table decides exit codes, data problems and where reading stops, for every command. */
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { AuditLogError } from '../src/errors.js';
import { isDataProblem, PROBLEMS } from '../src/problems.js';
import { readAuditLog } from '../src/reader.js';
import { ROOT } from './helpers.js';

const CLI = join(ROOT, 'bin', 'run.js');

describe('problems table', () => {
  test('an error exits as its row says', () => {
    for (const [code, rule] of Object.entries(PROBLEMS)) {
      expect(new AuditLogError(code as keyof typeof PROBLEMS, 'x', { stage: 'read', recoverable: false }).exitCode, code).toBe(rule.exit);
    }
    expect(PROBLEMS.INVALID_OPTION.exit).toBe(2);
    expect(PROBLEMS.MALFORMED_RECORD).toMatchObject({ exit: 1, dataProblem: true, stops: 'unless-skip' });
    expect(isDataProblem('UNEXPECTED_DATA')).toBe(false);
  });

  test('the reader stops where the row says: MALFORMED_RECORD unless skipped, text outside records never', async () => {
    const bytes = Buffer.from('[\n{"timestamp": "2019-10-03 14:00:00", "class": "general"},\n{"timestamp": oops},\n{"timestamp": "2019-10-03 14:00:01", "class": "general"}\n]\n');
    const seen: string[] = [];
    const all = [];
    for await (const e of readAuditLog(bytes, { onError: 'skip', onProblem: (p) => seen.push(p.code) })) all.push(e);
    expect(all).toHaveLength(2);
    expect(seen).toContain('MALFORMED_RECORD');
    await expect(async () => {
      for await (const _ of readAuditLog(bytes)) void _;
    }).rejects.toMatchObject({ code: 'MALFORMED_RECORD' });
  });

  test('the CLI labels a problem that did not stop it by its severity', () => {
    const input = Buffer.from('junk before\n[\n{"timestamp": "2019-10-03 14:00:00", "class": "general"},\n{"timestamp": oops},\n]\n');
    const p = spawnSync(process.execPath, [CLI, 'convert', '-', '--to', 'ndjson', '--on-error', 'skip'], { input, encoding: 'utf8' });
    expect(p.status).toBe(1);
    expect(p.stderr).toMatch(/^Note: .*UNEXPECTED_DATA/m);
    expect(p.stderr).toMatch(/^Warning: .*MALFORMED_RECORD/m);
  });
});
