/**
 * repair --in-place under SIGKILL at random moments: the file is always
 * either the old one or the repaired one, never a mix, and once it is the
 * repaired one its backup is there. And a file that a writer appends to while
 * it is being repaired is refused (exit 3) and left alone.
 */
import { spawn, spawnSync } from 'node:child_process';
import { appendFileSync, existsSync, mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { generateLog } from '../bench/generate.js';
import { repairBuffer } from '../src/repair/index.js';
import { ROOT } from './helpers.js';
import { SCRATCH } from './repair-oracle.js';

const CLI = join(ROOT, 'bin', 'run.js');

function tornLog(mib: number, seed: number): Buffer {
  const whole = Buffer.from([...generateLog({ format: 'new', bytes: mib * 1024 * 1024, seed })].join(''));
  return Buffer.concat([whole.subarray(0, whole.length - 300), Buffer.alloc(4096)]);
}

function runFor(args: string[], killAfterMs: number): Promise<number | null> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [CLI, ...args], { stdio: 'ignore' });
    const t = setTimeout(() => child.kill('SIGKILL'), killAfterMs);
    child.on('exit', (code) => {
      clearTimeout(t);
      resolve(code);
    });
  });
}

describe('repair --in-place and SIGKILL', () => {
  for (const [mode, extra] of [['kernel copy (plain)', []], ['streamed (--salvage)', ['--salvage']]] as const) {
    it(`${mode}: old file or repaired file, never a mix, never a lost backup`, async () => {
      const old = tornLog(24, 11);
      const repaired = (await repairBuffer(old)).bytes;
      expect(repaired.equals(old)).toBe(false);
      // How long one whole run takes here, to spread the kills over it.
      const dir = join(SCRATCH, `kill-${extra.length}`);
      rmSync(dir, { recursive: true, force: true });
      mkdirSync(dir);
      const f = join(dir, 'audit.log');
      writeFileSync(f, old);
      const t0 = Date.now();
      expect(spawnSync(process.execPath, [CLI, 'repair', f, '--in-place', ...extra]).status).toBe(0);
      const full = Date.now() - t0;
      // Random moments over the run, plus one before it starts and one after it ends.
      const delays = [0, ...fc.sample(fc.integer({ min: 0, max: full + 200 }), { seed: 99, numRuns: 10 }), full + 2000];
      const seen = { old: 0, repaired: 0 };
      for (const ms of delays) {
        rmSync(dir, { recursive: true, force: true });
        mkdirSync(dir);
        writeFileSync(f, old);
        await runFor(['repair', f, '--in-place', ...extra], ms);
        const now = readFileSync(f);
        const isOld = now.equals(old);
        expect(isOld || now.equals(repaired), `killed after ${ms} ms: neither the old nor the repaired file`).toBe(true);
        if (existsSync(`${f}.bak`)) expect(readFileSync(`${f}.bak`).equals(old), `killed after ${ms} ms`).toBe(true);
        if (!isOld) expect(existsSync(`${f}.bak`), `killed after ${ms} ms: repaired but no backup`).toBe(true);
        seen[isOld ? 'old' : 'repaired']++;
        // Only the file, its backup, and (killed before the rename) a temporary file next to it.
        for (const n of readdirSync(dir)) expect(n === 'audit.log' || n === 'audit.log.bak' || /^\.audit\.log\.\d+\.[0-9a-f]+\.tmp$/.test(n), n).toBe(true);
      }
      expect(seen.old).toBeGreaterThan(0);
      expect(seen.repaired).toBeGreaterThan(0);
    }, 300_000);
  }

  it('a file appended to while it is being repaired is refused with exit 3, and nothing is written', async () => {
    const old = tornLog(48, 12);
    const f = join(SCRATCH, 'growing.log');
    const out = join(SCRATCH, 'growing.out');
    writeFileSync(f, old);
    // --salvage reads the whole file: long enough for the writer to come in.
    const child = spawn(process.execPath, [CLI, 'repair', f, '--salvage', '-o', out], { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const appender = setInterval(() => appendFileSync(f, ' <AUDIT_RECORD>\n'), 20);
    const code = await new Promise<number | null>((r) => child.on('exit', r));
    clearInterval(appender);
    expect(code).toBe(3);
    expect(stderr).toContain('INPUT_CHANGED');
    expect(existsSync(out)).toBe(false);
    expect(readFileSync(f).subarray(0, old.length).equals(old)).toBe(true);
  }, 120_000);
});
