/**
 * The output edge: `-o` never replaces anything but a regular file (or a
 * symlink's regular target), never the input, and binary output never goes
 * to a terminal. Devices are made with mknod inside a temporary directory,
 * never touched under /dev.
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, linkSync, lstatSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import { fixturePath, ROOT } from './helpers.js';

const CLI = join(ROOT, 'bin', 'run.js');
const NEW_56 = fixturePath('public/mysql-utilities/audit.log.13951424704434196.xml');

function run(args: string[], opts: { cwd?: string; input?: Buffer } = {}) {
  return spawnSync(process.execPath, [CLI, ...args], { encoding: 'buffer', maxBuffer: 1 << 28, ...opts });
}

function tmp(): string {
  return mkdtempSync(join(tmpdir(), 'auditlog-out-'));
}

const expected = run(['convert', NEW_56, '--to', 'ndjson']).stdout;

/** Make a character device node in `dir` (major, minor); false where mknod is not permitted. */
function mknod(path: string, major: number, minor: number): boolean {
  return spawnSync('mknod', [path, 'c', String(major), String(minor)], { stdio: 'ignore' }).status === 0;
}
const probe = join(tmp(), 'probe');
const canMknod = mknod(probe, 1, 3);
const noMknod = canMknod ? '' : 'mknod is not permitted here (needs root or CAP_MKNOD)';
if (noMknod) console.warn(`skipping character-device tests: ${noMknod}`);

afterAll(() => {
  // The tests never touch the real device.
  expect(lstatSync('/dev/null').isCharacterDevice()).toBe(true);
  expect(lstatSync('/dev/stdout').isSymbolicLink()).toBe(true);
});

describe('convert -o: what the path names decides how it is written', () => {
  test('a FIFO is opened and written, not replaced', async () => {
    const dir = tmp();
    const fifo = join(dir, 'pipe');
    expect(spawnSync('mkfifo', [fifo]).status).toBe(0);
    const reader = spawn('cat', [fifo], { stdio: ['ignore', 'pipe', 'ignore'] });
    const got: Buffer[] = [];
    reader.stdout.on('data', (c: Buffer) => got.push(c));
    const readerDone = new Promise<number | null>((resolve) => reader.on('exit', resolve));
    const p = spawn(process.execPath, [CLI, 'convert', NEW_56, '--to', 'ndjson', '-o', fifo], { stdio: 'ignore' });
    const status = await new Promise<number | null>((resolve) => p.on('exit', resolve));
    // If the FIFO was renamed away, cat still waits for a writer: give it a moment, then stop it.
    const timer = setTimeout(() => reader.kill(), 3000);
    await readerDone;
    clearTimeout(timer);
    expect(status).toBe(0);
    expect(lstatSync(fifo).isFIFO()).toBe(true);
    expect(Buffer.compare(Buffer.concat(got), expected)).toBe(0);
    expect(readdirSync(dir)).toEqual(['pipe']);
  });

  test.skipIf(!canMknod)('a character device (mknod c 1 3, a null device in a temp dir) is written, not replaced', () => {
    const dir = tmp();
    const dev = join(dir, 'null');
    expect(mknod(dev, 1, 3)).toBe(true);
    const before = statSync(dev);
    const p = run(['convert', NEW_56, '--to', 'json', '-o', dev]);
    expect(p.status).toBe(0);
    const after = lstatSync(dev);
    expect(after.isCharacterDevice()).toBe(true);
    expect(after.ino).toBe(before.ino);
    expect(after.rdev).toBe(before.rdev);
    expect(readdirSync(dir)).toEqual(['null']);
  });

  test.skipIf(!canMknod)('a full device (mknod c 1 7): exit 3, one IO_ERROR line naming ENOSPC, the device stays', () => {
    const dir = tmp();
    const dev = join(dir, 'full');
    expect(mknod(dev, 1, 7)).toBe(true);
    const p = run(['convert', NEW_56, '--to', 'json', '-o', dev]);
    expect(p.status).toBe(3);
    const err = p.stderr.toString();
    expect(err).toMatch(/IO_ERROR.*ENOSPC/);
    expect(err.trimEnd().split('\n')).toHaveLength(1);
    expect(lstatSync(dev).isCharacterDevice()).toBe(true);
  });

  test('a symlink is followed: its target is replaced atomically, the link stays a link', () => {
    const dir = tmp();
    const real = join(dir, 'real.ndjson');
    writeFileSync(real, 'old content\n');
    const link = join(dir, 'link.ndjson');
    symlinkSync('real.ndjson', link);
    const p = run(['convert', NEW_56, '--to', 'ndjson', '-o', link]);
    expect(p.status).toBe(0);
    expect(lstatSync(link).isSymbolicLink()).toBe(true);
    expect(readlinkSync(link)).toBe('real.ndjson');
    expect(Buffer.compare(readFileSync(real), expected)).toBe(0);
    expect(statSync(real).mode & 0o777).toBe(0o600);
    expect(readdirSync(dir).sort()).toEqual(['link.ndjson', 'real.ndjson']);
  });

  test('a dangling symlink: its target is created, the link stays', () => {
    const dir = tmp();
    const link = join(dir, 'link.ndjson');
    symlinkSync(join(dir, 'new.ndjson'), link);
    expect(run(['convert', NEW_56, '--to', 'ndjson', '-o', link]).status).toBe(0);
    expect(lstatSync(link).isSymbolicLink()).toBe(true);
    expect(Buffer.compare(readFileSync(join(dir, 'new.ndjson')), expected)).toBe(0);
  });

  test('-o - is stdout: no file named "-"', () => {
    const dir = tmp();
    const p = run(['convert', NEW_56, '--to', 'ndjson', '-o', '-'], { cwd: dir });
    expect(p.status).toBe(0);
    expect(Buffer.compare(p.stdout, expected)).toBe(0);
    expect(existsSync(join(dir, '-'))).toBe(false);
  });

  test('/dev/stdout resolves to writing through the descriptor, never to a rename', async () => {
    const { resolveOutput } = await import('../src/sink.js');
    expect((await resolveOutput('/dev/stdout')).kind).toBe('descriptor');
    expect((await resolveOutput('-')).kind).toBe('stream');
  });

  test('-o a link to /proc/self/fd/1 (what /dev/stdout is; made in a temp dir) writes through the descriptor, the link stays', () => {
    const dir = tmp();
    const stdout = join(dir, 'stdout');
    symlinkSync('/proc/self/fd/1', stdout);
    const p = run(['convert', NEW_56, '--to', 'ndjson', '-o', stdout]);
    expect(p.status).toBe(0);
    expect(Buffer.compare(p.stdout, expected)).toBe(0);
    expect(readlinkSync(stdout)).toBe('/proc/self/fd/1');
  });
});

describe('convert -o: the input itself is refused before anything is read', () => {
  function copyInput(): { dir: string; input: string; bytes: Buffer } {
    const dir = tmp();
    const input = join(dir, 'audit.log');
    const bytes = readFileSync(NEW_56);
    writeFileSync(input, bytes);
    return { dir, input, bytes };
  }

  for (const [name, make] of [
    ['the same path', (_dir: string, input: string) => input],
    ['another spelling of the path', (dir: string) => join(dir, '.', 'x', '..', 'audit.log')],
    ['a symlink to it', (dir: string, input: string) => (symlinkSync(input, join(dir, 'l')), join(dir, 'l'))],
    ['a hard link to it (same inode)', (dir: string, input: string) => (linkSync(input, join(dir, 'h')), join(dir, 'h'))],
  ] as const) {
    test(`-o naming ${name}: exit 2, the input unchanged`, () => {
      const { dir, input, bytes } = copyInput();
      const out = make(dir, input);
      const p = run(['convert', input, '--to', 'json', '-o', out]);
      expect(p.status).toBe(2);
      expect(p.stderr.toString()).toMatch(/INVALID_OPTION: the output .* is the input/);
      expect(Buffer.compare(readFileSync(input), bytes)).toBe(0);
      expect(p.stdout.length).toBe(0);
    });
  }

  test('stdout appending to the input (>> audit.log) is refused too', () => {
    const { dir, input, bytes } = copyInput();
    const p = spawnSync('sh', ['-c', `"${process.execPath}" "${CLI}" convert audit.log --to new >> audit.log`], { cwd: dir, encoding: 'utf8' });
    expect(p.status).toBe(2);
    expect(Buffer.compare(readFileSync(input), bytes)).toBe(0);
  });
});

describe('binary output never goes to a terminal', () => {
  test('--compress -o a terminal (a link in a temp dir to the pty that script(1) gives): exit 2, nothing written', () => {
    const dir = tmp();
    const tty = join(dir, 'tty');
    const inner = `ln -s "$(tty)" "${tty}" && "${process.execPath}" "${CLI}" convert "${NEW_56}" --to json --compress -o "${tty}"; echo "rc=$?"`;
    const p = spawnSync('script', ['-qec', `sh -c '${inner}'`, '/dev/null'], { encoding: 'latin1', stdio: ['ignore', 'pipe', 'pipe'] });
    expect(p.stdout).toMatch(/refusing to write compressed or encrypted output to a terminal/);
    expect(p.stdout).toMatch(/rc=2/);
    expect(p.stdout).not.toContain('\x1f\x8b');
    expect(lstatSync(tty).isSymbolicLink()).toBe(true);
  });

  test('--compress with stdout on a terminal (script(1) gives it one): exit 2', () => {
    const cmd = `"${process.execPath}" "${CLI}" convert "${NEW_56}" --to json --compress`;
    const p = spawnSync('script', ['-qec', cmd, '/dev/null'], { encoding: 'latin1', stdio: ['ignore', 'pipe', 'pipe'] });
    expect(p.status).toBe(2);
    expect(p.stdout).toMatch(/refusing to write compressed or encrypted output to a terminal/);
    expect(p.stdout).not.toContain('\x1f\x8b');
  });
});
