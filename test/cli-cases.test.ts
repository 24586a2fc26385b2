/**
 * End-to-end CLI cases, Miller style: every directory test/cli/cases/<command>/<case>/
 * holds `cmd` (one shell command line, run by sh in the repository root with
 * `auditlog` on PATH), `expout` (stdout), `experr` (stderr; absent means empty)
 * and `exit` (the exit code). Needs the build (`npm test` builds first).
 */
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import { ROOT } from './helpers.js';

const CASES = join(ROOT, 'test', 'cli', 'cases');
const bin = mkdtempSync(join(tmpdir(), 'auditlog-cli-'));
writeFileSync(join(bin, 'auditlog'), `#!/bin/sh\nexec node ${JSON.stringify(join(ROOT, 'bin', 'run.js'))} "$@"\n`);
chmodSync(join(bin, 'auditlog'), 0o755);
afterAll(() => rmSync(bin, { recursive: true, force: true }));

const env: NodeJS.ProcessEnv = { PATH: `${bin}:${process.env.PATH}`, HOME: process.env.HOME, COLUMNS: '80', LINES: '24', TZ: 'UTC', LC_ALL: 'C.UTF-8', TERM: 'xterm' };

for (const command of readdirSync(CASES).sort()) {
  describe(command, () => {
    for (const name of readdirSync(join(CASES, command)).sort()) {
      const dir = join(CASES, command, name);
      const read = (f: string) => (existsSync(join(dir, f)) ? readFileSync(join(dir, f), 'utf8') : undefined);
      const cmd = read('cmd')!.trim();
      test(`${name}: ${cmd}`, () => {
        const r = spawnSync('sh', ['-c', cmd], { cwd: ROOT, env, encoding: 'utf8', timeout: 30_000 });
        expect(r.stdout).toBe(read('expout') ?? '');
        expect(r.stderr).toBe(read('experr') ?? '');
        expect(r.status).toBe(Number(read('exit') ?? 'missing exit file'));
      });
    }
  });
}
