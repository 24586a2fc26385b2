import { describe, expect, test } from 'vitest';
import { progress } from '../cli/progress.js';
import { fixturePath } from './helpers.js';

const FILE = fixturePath('public/mysql-utilities/audit.log.13951424704434196.xml');

function fakeStderr(isTTY: boolean) {
  const writes: string[] = [];
  return { stream: { isTTY, write: (s: string) => (writes.push(s), true) } as never, writes };
}

describe('progress line on stderr', () => {
  test('on a terminal, for a large enough input: a percentage, cleared at the end', () => {
    const { stream, writes } = fakeStderr(true);
    const saved = process.env.CI;
    delete process.env.CI;
    try {
      const p = progress([FILE], stream, 0);
      p.update(FILE, 16405);
      p.done();
    } finally {
      if (saved !== undefined) process.env.CI = saved;
    }
    expect(writes[0]).toMatch(/^\r +50% +0 of 0 MiB {2}.*audit\.log\.13951424704434196\.xml/);
    expect(writes[writes.length - 1]).toBe('\r\x1b[K');
  });

  test('nothing when stderr is not a terminal, when the input is small, or from stdin', () => {
    for (const [tty, files, min] of [
      [false, [FILE], 0],
      [true, [FILE], 64 * 1024 * 1024],
      [true, ['-'], 0],
    ] as const) {
      const { stream, writes } = fakeStderr(tty);
      const p = progress([...files], stream, min);
      p.update(files[0], 100);
      p.done();
      expect(writes).toEqual([]);
    }
  });
});
