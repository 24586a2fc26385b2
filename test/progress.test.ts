import { statSync } from 'node:fs';
import { describe, expect, test } from 'vitest';
import { progress } from '../cli/progress.js';
import { fixturePath } from './helpers.js';

const FILE = fixturePath('public/mysql-utilities/audit.log.13951424704434196.xml');
const SIZE = statSync(FILE).size;

function fakeStderr(isTTY: boolean) {
  const writes: string[] = [];
  return { stream: { isTTY, write: (s: string) => (writes.push(s), true) } as never, writes };
}

/** A clock that advances one second per reading. */
function ticking() {
  let t = 0;
  return () => (t += 1000);
}

describe('progress line on stderr', () => {
  test('on a terminal, for a large enough plain input: percentage of the file on disk, records/s, time left; cleared at the end', () => {
    const { stream, writes } = fakeStderr(true);
    const p = progress([FILE], { stream, minBytes: 0, now: ticking() });
    // One second after the start, half the file read and 3000 records: 3000 records/s, one more second to go.
    p.update(FILE, SIZE / 2, undefined, 3000);
    p.done();
    expect(writes[0]).toMatch(/^\r +50% {2}16 KiB of 32 KiB on disk {2}3000 records {2}3000 records\/s {2}0:01 left {2}.*audit\.log\.13951424704434196\.xml\x1b\[K$/);
    expect(writes[0]).not.toContain('decoded');
    expect(writes[writes.length - 1]).toBe('\r\x1b[K');
  });

  test('behind gzip or AES the decoded bytes are shown beside the bytes on disk (the percentage follows the disk)', () => {
    const { stream, writes } = fakeStderr(true);
    const p = progress([FILE], { stream, minBytes: 0, now: ticking() });
    p.update(FILE, SIZE / 4, 5 * 1048576, 10);
    expect(writes[0]).toMatch(/^\r +25% {2}8 KiB of 32 KiB on disk {2}5\.0 MiB decoded {2}10 records/);
  });

  test('stdin: nothing until 64 MiB (here 1 KiB) were read, then the bytes read, without a percentage or time left', () => {
    const { stream, writes } = fakeStderr(true);
    const p = progress(['-'], { stream, minBytes: 1024, now: ticking() });
    p.update('-', 512, undefined, 1);
    expect(writes).toEqual([]);
    p.update('-', 4096, undefined, 40);
    expect(writes[0]).toMatch(/^\r4 KiB read {2}40 records {2}\d+ records\/s {2}-\x1b\[K$/);
  });

  test('clear() erases the line before data is written, and the next update draws it again at once', () => {
    const { stream, writes } = fakeStderr(true);
    let t = 0;
    const p = progress([FILE], { stream, minBytes: 0, now: () => t });
    t = 1000;
    p.update(FILE, 100, undefined, 1);
    p.clear();
    p.update(FILE, 200, undefined, 2); // same instant: drawn anyway after a clear
    p.update(FILE, 300, undefined, 3); // same instant: not redrawn
    expect(writes.length).toBe(3);
    expect(writes[1]).toBe('\r\x1b[K');
    expect(writes[2]).toContain('2 records');
  });

  test('nothing when stderr is not a terminal, when the input is small, or with --quiet', () => {
    for (const [tty, min, quiet] of [
      [false, 0, false],
      [true, 64 * 1024 * 1024, false],
      [true, 0, true],
    ] as const) {
      const { stream, writes } = fakeStderr(tty);
      const p = progress([FILE], { stream, minBytes: min, quiet, now: ticking() });
      p.update(FILE, 100, undefined, 1);
      p.done();
      expect(writes).toEqual([]);
    }
  });
});

describe('progress for a small compressed file', () => {
  test('shown once 64 MiB (here 1 KiB) were decoded, although the file on disk is smaller', () => {
    const { stream, writes } = fakeStderr(true);
    const p = progress([FILE], { stream, minBytes: SIZE + 1, now: ticking() });
    p.update(FILE, 1000, 1000, 1);
    expect(writes).toEqual([]);
    p.update(FILE, SIZE / 2, 10 * SIZE, 50);
    expect(writes[0]).toMatch(/^\r +50% {2}16 KiB of 32 KiB on disk {2}320 KiB decoded {2}50 records/);
  });
});
