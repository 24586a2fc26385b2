/**
 * Inputs that are pipes (a FIFO, `<(zcat x.gz)`): their bytes can be read only
 * once, in order. Read whole by `info`, `convert` and `show` (whatever
 * `--jobs` says: nothing looks at their head before the read), refused by the
 * commands that read file sets by position (`read`, `bookmark`). Before, each
 * such input read as empty, with exit 0.
 */
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { describe, expect, test } from 'vitest';
import { ROOT } from './helpers.js';

const CLI = join(ROOT, 'bin', 'run.js');
const SAMPLE = join(ROOT, 'fixtures', 'public', 'mysql-utilities', 'audit.log.13951424704434196.xml');
const dir = mkdtempSync(join(tmpdir(), 'auditlog-pipes-'));
let n = 0;

/** A FIFO that a separate process fills with `bytes` once it is opened for reading. */
function fifoOf(bytes: Buffer): string {
  const src = join(dir, `src-${n}`);
  const fifo = join(dir, `fifo-${n++}`);
  writeFileSync(src, bytes);
  expect(spawnSync('mkfifo', [fifo]).status).toBe(0);
  spawn('sh', ['-c', 'cat "$1" > "$2"', 'sh', src, fifo], { stdio: 'ignore' }).unref();
  return fifo;
}

const cli = (args: string[]) => spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', timeout: 30_000 });

describe('a pipe given as an input file', () => {
  const bytes = readFileSync(SAMPLE);

  for (const jobs of ['1', '2']) {
    test(`info --jobs ${jobs} reads all of it: the report of the file itself`, () => {
      const fifo = fifoOf(bytes);
      const got = cli(['info', fifo, '--json', '--jobs', jobs, '--split-bytes', '0']);
      const want = cli(['info', SAMPLE, '--json', '--jobs', '1']);
      expect(got.status).toBe(0);
      // The same report, named by the path given.
      expect(got.stdout.replaceAll(fifo, SAMPLE)).toBe(want.stdout);
      expect(JSON.parse(got.stdout).records).toBe(77);
    });
  }

  test('convert --jobs 2 of a gzip stream writes what converting the file writes', () => {
    const fifo = fifoOf(gzipSync(bytes));
    const out = join(dir, 'from-fifo.json');
    const ref = join(dir, 'from-file.json');
    const got = cli(['convert', fifo, '--to', 'json', '--jobs', '2', '--split-bytes', '0', '-o', out]);
    expect(got.status).toBe(0);
    expect(cli(['convert', SAMPLE, '--to', 'json', '-o', ref]).status).toBe(0);
    expect(readFileSync(out)).toEqual(readFileSync(ref));
    expect(JSON.parse(readFileSync(out, 'utf8'))).toHaveLength(77);
  });

  test('show --count counts every record', () => {
    const got = cli(['show', fifoOf(bytes), '--count']);
    expect(got.status).toBe(0);
    expect(got.stdout.trim()).toBe('77');
  });

  for (const cmd of ['read', 'bookmark']) {
    test(`${cmd} refuses it (a file set is read by positions): exit 2, INVALID_OPTION naming it, nothing on stdout`, () => {
      const fifo = join(dir, `refused-${cmd}`);
      expect(spawnSync('mkfifo', [fifo]).status).toBe(0);
      const got = cli([cmd, fifo]);
      expect(got.status).toBe(2);
      expect(got.stdout).toBe('');
      expect(got.stderr).toContain(`${fifo}: INVALID_OPTION: a pipe or device cannot be read as part of a file set`);
    });
  }
});
