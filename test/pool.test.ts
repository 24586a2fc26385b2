import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { AuditLogError } from '../src/errors.js';
import { runTasks, runTasksInline, type TaskFn, type TaskRun } from '../src/parallel/pool.js';

// Tasks for the pool's own tests, as compiled JS the worker can import (the suite builds dist first).
const dir = mkdtempSync(join(tmpdir(), 'pool-test-'));
const errorsJs = pathToFileURL(resolve('dist/src/errors.js')).href;
const tasksModule = join(dir, 'tasks.mjs');
writeFileSync(
  tasksModule,
  `import { AuditLogError } from ${JSON.stringify(errorsJs)};
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
export const TASKS = {
  // Returns its payload after a delay; emits n numbered chunks first.
  async echo(p, io) {
    for (let i = 0; i < (p.chunks ?? 0); i++) await io.emit(new Uint8Array([p.value, i]));
    await sleep(p.ms ?? 0);
    return { value: p.value, thread: (await import('node:worker_threads')).threadId };
  },
  // Emits 1 MiB chunks and records how many emit() calls returned, in shared memory.
  async flood(p, io) {
    const seen = new Int32Array(p.progress);
    for (let i = 0; i < p.count; i++) {
      const c = new Uint8Array(1 << 20);
      c[0] = i & 0xff;
      await io.emit(c);
      Atomics.store(seen, 0, i + 1);
    }
    return p.count;
  },
  // Emits forever, beating a heart in shared memory.
  async forever(p, io) {
    const beat = new Int32Array(p.beat);
    for (let i = 0; ; i++) {
      Atomics.add(beat, 0, 1);
      await io.emit(new Uint8Array(1024));
      await sleep(1);
    }
  },
  async fail(p) {
    await sleep(p.ms ?? 0);
    throw new AuditLogError('MALFORMED_RECORD', 'bad record', { stage: 'parse', file: 'x.log', offset: 12, end: 40, index: 3, recoverable: true });
  },
  async plain(p) {
    const e = new Error('not an audit log error');
    e.code = 'ENOENT';
    throw e;
  },
  async ask(p, io) {
    return await io.ask({ q: p.q });
  },
  async crash() {
    process.exit(7);
  },
  // Works without chunks or questions, looking at io.stopped, beating a heart.
  async quiet(p, io) {
    const beat = new Int32Array(p.beat);
    while (!io.stopped) {
      Atomics.add(beat, 0, 1);
      await sleep(1);
    }
    return 'stopped';
  },
};
`,
);

async function collectAll<R>(runs: AsyncIterable<TaskRun<R>>): Promise<{ index: number; chunks: number[][]; result?: R; error?: unknown }[]> {
  const out: { index: number; chunks: number[][]; result?: R; error?: unknown }[] = [];
  for await (const run of runs) {
    const chunks: number[][] = [];
    for await (const c of run.chunks) chunks.push([...c]);
    try {
      out.push({ index: run.index, chunks, result: await run.result });
    } catch (e) {
      out.push({ index: run.index, chunks, error: e });
    }
  }
  return out;
}

describe('worker pool', () => {
  it('hands results and chunks back in task order, whichever finishes first, on several threads', async () => {
    const tasks = [40, 5, 30, 0, 10, 0].map((ms, value) => ({ name: 'echo', payload: { ms, value, chunks: 3 } }));
    const got = await collectAll<{ value: number; thread: number }>(runTasks(tasks, { jobs: 2, tasksModule }));
    expect(got.map((g) => g.index)).toEqual([0, 1, 2, 3, 4, 5]);
    expect(got.map((g) => g.result!.value)).toEqual([0, 1, 2, 3, 4, 5]);
    for (const g of got) expect(g.chunks).toEqual([0, 1, 2].map((i) => [g.index, i]));
    expect(new Set(got.map((g) => g.result!.thread)).size).toBe(2);
  });

  it('keeps a worker waiting while the consumer is slow: at most maxQueued chunks ahead', async () => {
    const progress = new SharedArrayBuffer(4);
    const seen = new Int32Array(progress);
    const maxQueued = 3;
    let worst = 0;
    for await (const run of runTasks<number>([{ name: 'flood', payload: { count: 40, progress } }], { jobs: 1, maxQueued, tasksModule })) {
      let i = 0;
      for await (const c of run.chunks) {
        expect(c[0]).toBe(i & 0xff);
        expect(c.length).toBe(1 << 20);
        await new Promise((r) => setTimeout(r, 5));
        worst = Math.max(worst, Atomics.load(seen, 0) - (i + 1));
        i++;
      }
      expect(i).toBe(40);
      expect(await run.result).toBe(40);
    }
    // Emits returned beyond the ones consumed: bounded by the queue, not by the 40 chunks.
    expect(worst).toBeLessThanOrEqual(maxQueued);
    expect(worst).toBeGreaterThan(0);
  });

  it('rethrows an AuditLogError with its code, detail and context, and stops after a consumed failure', async () => {
    const tasks = [
      { name: 'echo', payload: { value: 1 } },
      { name: 'fail', payload: {} },
      { name: 'echo', payload: { value: 3, ms: 50 } },
    ];
    const got = await collectAll(runTasks(tasks, { jobs: 2, tasksModule }));
    expect(got.map((g) => g.index)).toEqual([0, 1]);
    const e = got[1]!.error;
    expect(e).toBeInstanceOf(AuditLogError);
    const a = e as AuditLogError;
    expect(a.code).toBe('MALFORMED_RECORD');
    expect(a.detail).toBe('bad record');
    expect(a.ctx).toEqual({ stage: 'parse', file: 'x.log', offset: 12, end: 40, index: 3, recoverable: true });
    expect(a.message).toBe('x.log: byte 12: record #3: MALFORMED_RECORD: bad record');
  });

  it('rethrows other errors with their message and errno code', async () => {
    const [g] = await collectAll(runTasks([{ name: 'plain', payload: {} }], { jobs: 1, tasksModule }));
    expect(g!.error).toBeInstanceOf(Error);
    expect((g!.error as Error).message).toBe('not an audit log error');
    expect((g!.error as NodeJS.ErrnoException).code).toBe('ENOENT');
  });

  it('answers a task that asks, with onAsk told the task index', async () => {
    const got = await collectAll(runTasks([{ name: 'ask', payload: { q: 'a' } }, { name: 'ask', payload: { q: 'b' } }], { jobs: 2, tasksModule, onAsk: (i, q) => ({ i, q }) }));
    expect(got.map((g) => g.result)).toEqual([
      { i: 0, q: { q: 'a' } },
      { i: 1, q: { q: 'b' } },
    ]);
  });

  it('terminates the workers when the consumer stops early: no task runs on', async () => {
    const beat = new SharedArrayBuffer(4);
    const beats = new Int32Array(beat);
    let n = 0;
    for await (const run of runTasks([{ name: 'forever', payload: { beat } }, { name: 'forever', payload: { beat } }], { jobs: 2, tasksModule })) {
      for await (const _ of run.chunks) if (++n === 5) break;
      break;
    }
    const at = Atomics.load(beats, 0);
    await new Promise((r) => setTimeout(r, 100));
    expect(Atomics.load(beats, 0)).toBe(at);
  });

  it('fails the task of a thread that died, and the ones after it', async () => {
    const got = await collectAll(runTasks([{ name: 'crash', payload: {} }, { name: 'echo', payload: { value: 2, ms: 200 } }], { jobs: 1, tasksModule }));
    expect(got[0]!.error).toBeInstanceOf(Error);
    expect(String((got[0]!.error as Error).message)).toMatch(/exited \(code 7\)/);
    expect(got.length).toBe(1);
  });
});

describe('worker pool with this thread as one of the jobs (mainThread)', () => {
  it('runs the first task here while the worker starts, the rest on both, in task order with their chunks', async () => {
    const tasks = [40, 5, 30, 0, 10, 0, 20, 0].map((ms, value) => ({ name: 'echo', payload: { ms, value, chunks: 3 } }));
    const got = await collectAll<{ value: number; thread: number }>(runTasks(tasks, { jobs: 2, tasksModule, mainThread: true }));
    expect(got.map((g) => g.result!.value)).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
    for (const g of got) expect(g.chunks).toEqual([0, 1, 2].map((i) => [g.index, i]));
    const threads = got.map((g) => g.result!.thread);
    expect(threads[0]).toBe(0);
    expect(new Set(threads).size).toBe(2);
  });

  it('keeps a task here waiting while the consumer is slow: at most maxQueued chunks ahead', async () => {
    const progress = new SharedArrayBuffer(4);
    const seen = new Int32Array(progress);
    const maxQueued = 3;
    let worst = 0;
    const tasks = [{ name: 'flood', payload: { count: 30, progress } }, { name: 'echo', payload: { value: 1 } }];
    for await (const run of runTasks<number>(tasks, { jobs: 2, maxQueued, tasksModule, mainThread: true })) {
      let i = 0;
      for await (const c of run.chunks) {
        await new Promise((r) => setTimeout(r, 2));
        if (run.index === 0) worst = Math.max(worst, Atomics.load(seen, 0) - (i + 1));
        i++;
      }
      if (run.index === 0) expect(await run.result).toBe(30);
    }
    expect(worst).toBeLessThanOrEqual(maxQueued);
    expect(worst).toBeGreaterThan(0);
  });

  it('a failure here is rethrown as it was thrown, and a consumer that stops early stops the task here at its next chunk', async () => {
    const [g] = await collectAll(runTasks([{ name: 'fail', payload: {} }, { name: 'echo', payload: { value: 2 } }], { jobs: 2, tasksModule, mainThread: true }));
    expect((g!.error as AuditLogError).code).toBe('MALFORMED_RECORD');
    const beat = new SharedArrayBuffer(4);
    const beats = new Int32Array(beat);
    let n = 0;
    for await (const run of runTasks([{ name: 'forever', payload: { beat } }, { name: 'forever', payload: { beat } }], { jobs: 2, tasksModule, mainThread: true })) {
      for await (const _ of run.chunks) if (++n === 5) break;
      break;
    }
    await new Promise((r) => setTimeout(r, 20));
    const at = Atomics.load(beats, 0);
    await new Promise((r) => setTimeout(r, 100));
    expect(Atomics.load(beats, 0)).toBe(at);
  });

  it('when the consumer stops, a task here that only looks at io.stopped ends, and one waiting for an answer is answered with an error; the run waits for both', async () => {
    const beat = new SharedArrayBuffer(4);
    const beats = new Int32Array(beat);
    for await (const run of runTasks([{ name: 'quiet', payload: { beat } }, { name: 'echo', payload: { value: 1 } }], { jobs: 2, tasksModule, mainThread: true })) {
      expect(run.index).toBe(0);
      // Until the task is at work (loading the tasks module takes a while the first time).
      for (let k = 0; k < 200 && Atomics.load(beats, 0) === 0; k++) await new Promise((r) => setTimeout(r, 10));
      break;
    }
    // Ended when the run returned: no beat after.
    const at = Atomics.load(beats, 0);
    expect(at).toBeGreaterThan(0);
    await new Promise((r) => setTimeout(r, 50));
    expect(Atomics.load(beats, 0)).toBe(at);
    // An answer that never comes.
    let asked = false;
    const never = () => {
      asked = true;
      return new Promise(() => undefined);
    };
    const t0 = Date.now();
    for await (const run of runTasks([{ name: 'ask', payload: { q: 'never' } }, { name: 'echo', payload: { value: 1 } }], { jobs: 2, tasksModule, mainThread: true, onAsk: never })) {
      expect(run.index).toBe(0);
      for (let k = 0; k < 200 && !asked; k++) await new Promise((r) => setTimeout(r, 10));
      break;
    }
    expect(asked).toBe(true);
    expect(Date.now() - t0).toBeLessThan(5_000);
  });
});

describe('inline runner', () => {
  const registry: Record<string, TaskFn> = {
    async echo(p: { value: number; chunks?: number }, io) {
      for (let i = 0; i < (p.chunks ?? 0); i++) await io.emit(new Uint8Array([p.value, i]));
      return p.value;
    },
    async fail() {
      throw new AuditLogError('TRUNCATED_RECORD', 'torn', { stage: 'frame', recoverable: true });
    },
  };

  it('runs tasks in order with their chunks, and stops after a consumed failure', async () => {
    const got = await collectAll(
      runTasksInline(
        [
          { name: 'echo', payload: { value: 7, chunks: 9 } },
          { name: 'fail', payload: {} },
          { name: 'echo', payload: { value: 8 } },
        ],
        registry,
        { maxQueued: 2 },
      ),
    );
    expect(got.map((g) => g.index)).toEqual([0, 1]);
    expect(got[0]!.result).toBe(7);
    expect(got[0]!.chunks).toEqual(Array.from({ length: 9 }, (_, i) => [7, i]));
    expect((got[1]!.error as AuditLogError).code).toBe('TRUNCATED_RECORD');
  });
});
