/**
 * A pool of worker threads running named tasks (src/parallel/tasks.ts), their
 * results handed back in task order. A task may emit output chunks on the way
 * (bounded: at most `maxQueued` wait per task, the worker waits for room) and
 * ask the main thread something only it knows.
 *
 *   for await (const run of runTasks(units.map((u) => ({ name: 'info', payload: u })), { jobs: 2 })) {
 *     for await (const chunk of run.chunks) out.write(chunk);
 *     merge(await run.result);
 *   }
 *
 * Stopping the iteration early (break, a throw) or consuming a failed task
 * terminates the workers; nothing is left running.
 */
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Worker, type ResourceLimits } from 'node:worker_threads';
import { AuditLogError } from '../errors.js';
import { ownsBuffer } from '../sinks/blocks.js';

/** What a task running in a worker can do besides returning its result. */
export interface TaskIO {
  /** Send output bytes to the main thread, in order. Resolves once the main thread has room:
   *  at most `maxQueued` chunks (default 4) wait per task, so memory stays bounded.
   *  A chunk that spans its whole ArrayBuffer is moved, not copied: it is detached
   *  (empty) in the worker afterwards, so never emit a buffer that is reused. */
  emit(chunk: Uint8Array): Promise<void>;
  /** Ask the main thread something only it knows (e.g. the id state at this unit's start,
   *  known once the units before this one are merged). Resolves with onAsk's answer. */
  ask(question: unknown): Promise<unknown>;
  /** True once the consumer stopped (a task on the main thread, which nothing terminates, should then end; see mainThread). */
  readonly stopped?: boolean;
}

/** A task: payload and result are structured-cloned; an AuditLogError thrown in it is
 *  rethrown on the main thread as an AuditLogError with the same code, detail and ctx. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type TaskFn = (payload: any, io: TaskIO) => Promise<unknown>;

export interface TaskRun<R> {
  index: number;
  /** The task's emitted chunks, in order; ends when the task returned. */
  chunks: AsyncIterable<Uint8Array>;
  /** The task's result (rejects with its error). */
  result: Promise<R>;
}

export interface RunOptions {
  jobs: number;
  /** Chunks that may wait per task before its emit() waits. Defaults to 4. */
  maxQueued?: number;
  onAsk?: (index: number, question: unknown) => unknown | Promise<unknown>;
  /** A module (path or URL of compiled JS) whose `TASKS` export is used instead of the built-in tasks. */
  tasksModule?: string | URL;
  /** Heap limits of each worker. Defaults to a young generation of WORKER_YOUNG_GENERATION_MB. */
  resourceLimits?: ResourceLimits;
  /**
   * This thread is one of the `jobs` (with `jobs` > 1): it runs tasks too, between
   * consuming them, so one worker fewer starts. Each thread compiles the same code
   * and keeps its own heap: pinned to one core, two workers spent 1.4-1.9x the CPU
   * time of one thread on the same work, a fifth of it in V8 compiling, while this
   * thread mostly waited. A task here stops at its next chunk or question once the
   * consumer stops, or where it looks at `io.stopped`; the run waits for it to end.
   * Tasks that end the process (tests) must not run here. Default false.
   */
  mainThread?: boolean;
}

export const DEFAULT_MAX_QUEUED = 4;

/**
 * Young generation of a worker's heap, in MiB. V8's default lets it grow to about
 * 50 MiB per thread while a scanner makes short-lived garbage; 12 MiB costs no
 * measurable time and keeps two workers and the main thread near 150 MiB resident
 * (info over 200 MiB of NEW XML: about 200 MiB with the default).
 */
export const WORKER_YOUNG_GENERATION_MB = 12;

// ---- messages between the threads ----

/** An error as it crosses the thread boundary. */
export interface WireError {
  name: string;
  message: string;
  stack?: string;
  code?: string;
  detail?: string;
  ctx?: AuditLogError['ctx'];
  errno?: string;
}

export type ToWorker =
  | { type: 'run'; id: number; name: string; payload: unknown; maxQueued: number }
  | { type: 'ack'; id: number }
  | { type: 'answer'; id: number; qid: number; value?: unknown; error?: WireError };

export type FromWorker =
  | { type: 'chunk'; id: number; chunk: Uint8Array }
  | { type: 'ask'; id: number; qid: number; question: unknown }
  | { type: 'done'; id: number; result: unknown }
  | { type: 'fail'; id: number; error: WireError };

export function toWire(e: unknown): WireError {
  if (e instanceof AuditLogError) return { name: e.name, message: e.message, stack: e.stack, code: e.code, detail: e.detail, ctx: e.ctx };
  if (e instanceof Error) {
    const errno = (e as NodeJS.ErrnoException).code;
    return { name: e.name, message: e.message, stack: e.stack, ...(typeof errno === 'string' ? { errno } : {}) };
  }
  return { name: 'Error', message: String(e) };
}

export function fromWire(w: WireError): Error {
  if (w.name === 'AuditLogError' && w.code && w.ctx) {
    const e = new AuditLogError(w.code as AuditLogError['code'], w.detail ?? '', w.ctx);
    if (w.stack) e.stack = w.stack;
    return e;
  }
  const e = new Error(w.message);
  e.name = w.name;
  if (w.stack) e.stack = w.stack;
  if (w.errno) (e as NodeJS.ErrnoException).code = w.errno;
  return e;
}

/**
 * Whether a chunk can be handed over by moving its memory: it must be the only view of its
 * unshared ArrayBuffer (the whole of it, or a block src/sinks/blocks.ts handed on, which may be partly used).
 */
export function transferable(chunk: Uint8Array): ArrayBuffer | undefined {
  const b = chunk.buffer;
  if (!(b instanceof ArrayBuffer) || b.byteLength === 0 || chunk.byteOffset !== 0) return undefined;
  return chunk.byteLength === b.byteLength || ownsBuffer(chunk) ? b : undefined;
}

/** The compiled worker entry: next to this file when it runs from dist, else dist/src/parallel of the package. */
export function workerScript(): URL {
  const here = fileURLToPath(import.meta.url);
  if (here.endsWith('.js')) return new URL('./worker.js', import.meta.url);
  const root = resolve(dirname(here), '..', '..');
  const built = join(root, 'dist', 'src', 'parallel', 'worker.js');
  if (!existsSync(built)) throw new Error(`the worker script ${built} is missing: run \`npm run build\` first`);
  return pathToFileURL(built);
}

// ---- the main thread's side ----

/** Chunks of one task, handed to its consumer; acknowledging each one gives the worker room. */
class ChunkQueue implements AsyncIterable<Uint8Array> {
  private items: Uint8Array[] = [];
  private ended = false;
  private waiter: (() => void) | undefined;
  constructor(private readonly ack: () => void) {}
  push(c: Uint8Array): void {
    this.items.push(c);
    this.wake();
  }
  end(): void {
    this.ended = true;
    this.wake();
  }
  private wake(): void {
    const w = this.waiter;
    this.waiter = undefined;
    w?.();
  }
  async *[Symbol.asyncIterator](): AsyncIterator<Uint8Array> {
    for (;;) {
      if (this.items.length) {
        const c = this.items.shift()!;
        this.ack();
        yield c;
        continue;
      }
      if (this.ended) return;
      await new Promise<void>((r) => (this.waiter = r));
    }
  }
}

interface Slot<R> {
  run: TaskRun<R>;
  queue: ChunkQueue;
  resolve: (r: R) => void;
  reject: (e: Error) => void;
  settled: boolean;
}

function deferred<R>(): { promise: Promise<R>; resolve: (r: R) => void; reject: (e: Error) => void } {
  let resolve!: (r: R) => void;
  let reject!: (e: Error) => void;
  const promise = new Promise<R>((a, b) => {
    resolve = a;
    reject = b;
  });
  // The consumer sees a rejection when it awaits the result; one it never awaits is no unhandled rejection.
  promise.catch(() => undefined);
  return { promise, resolve, reject };
}

/**
 * Run tasks on `jobs` workers; yields them in task order (task k+1 may run while k is being
 * consumed; later tasks are stopped once the consumer stops or a task failed and was consumed).
 * At most 2 x jobs tasks are started and not yet consumed, so held results and chunks stay bounded.
 */
export async function* runTasks<R>(tasks: { name: string; payload: unknown }[], opts: RunOptions): AsyncGenerator<TaskRun<R>, void, undefined> {
  if (!tasks.length) return;
  const jobs = Math.max(1, Math.min(Math.floor(opts.jobs) || 1, tasks.length));
  const maxQueued = Math.max(1, opts.maxQueued ?? DEFAULT_MAX_QUEUED);
  const window = 2 * jobs;
  const onMain = opts.mainThread === true && jobs > 1;
  const script = workerScript();
  const tasksModule = opts.tasksModule === undefined ? undefined : String(opts.tasksModule instanceof URL ? opts.tasksModule : pathToFileURL(resolve(opts.tasksModule)));
  const slots: Slot<R>[] = [];
  const workers: Worker[] = [];
  const busy = new Map<Worker, number>();
  let next = 0;
  let consumed = 0;
  let stopped = false;
  let fatal: Error | undefined;

  const slot = (i: number): Slot<R> => {
    let s = slots[i];
    if (!s) {
      const d = deferred<R>();
      const queue = new ChunkQueue(() => {
        const m = mainRoom.get(i);
        if (m) {
          m.n--;
          const r = m.room;
          m.room = undefined;
          r?.();
          return;
        }
        const w = [...busy].find(([, id]) => id === i)?.[0];
        w?.postMessage({ type: 'ack', id: i } satisfies ToWorker);
      });
      s = { run: { index: i, chunks: queue, result: d.promise }, queue, resolve: d.resolve, reject: d.reject, settled: false };
      slots[i] = s;
    }
    return s;
  };
  const settle = (i: number, err: Error | undefined, result?: unknown) => {
    const s = slot(i);
    if (s.settled) return;
    s.settled = true;
    s.queue.end();
    if (err) s.reject(err);
    else s.resolve(result as R);
  };
  const dispatch = (w: Worker) => {
    if (stopped || next >= tasks.length || next >= consumed + window) {
      busy.delete(w);
      return;
    }
    const id = next++;
    slot(id);
    busy.set(w, id);
    const t = tasks[id]!;
    w.postMessage({ type: 'run', id, name: t.name, payload: t.payload, maxQueued } satisfies ToWorker);
  };
  const idle: Worker[] = [];
  const room = () => !stopped && next < tasks.length && next < consumed + window;
  // This thread's task, when it runs one: its unacknowledged chunks, and whether it waits for room.
  const mainRoom = new Map<number, { n: number; room?: (() => void) | undefined }>();
  let mainBusy: Promise<void> | undefined;
  let registry: Promise<Record<string, TaskFn>> | undefined;
  const stoppedError = () => new Error('stopped: the consumer stopped before this task was done');
  // Questions of this thread's task still waiting when the consumer stops are answered with that.
  let stop!: () => void;
  const stopping = new Promise<never>((_, reject) => (stop = () => reject(stoppedError())));
  stopping.catch(() => undefined);
  const runHere = async (id: number) => {
    const t = tasks[id]!;
    const state: { n: number; room?: (() => void) | undefined } = { n: 0 };
    mainRoom.set(id, state);
    const io: TaskIO = {
      emit: async (chunk) => {
        if (stopped) throw stoppedError();
        slot(id).queue.push(chunk);
        if (++state.n >= maxQueued) await new Promise<void>((r) => (state.room = r));
        if (stopped) throw stoppedError();
      },
      ask: async (question) => {
        if (stopped) throw stoppedError();
        return Promise.race([opts.onAsk ? opts.onAsk(id, question) : Promise.reject(new Error('this run answers no questions')), stopping]);
      },
      get stopped() {
        return stopped;
      },
    };
    try {
      registry ??= tasksModule ? import(tasksModule).then((m: { TASKS: Record<string, TaskFn> }) => m.TASKS) : import('./tasks.js').then((m) => m.TASKS);
      const fn = (await registry)[t.name];
      if (!fn) throw new Error(`no task named ${t.name}`);
      settle(id, undefined, await fn(t.payload, io));
    } catch (e) {
      settle(id, e instanceof Error ? e : new Error(String(e)));
    } finally {
      mainRoom.delete(id);
    }
  };
  const fill = () => {
    // This thread first: it is running already, while workers start.
    if (onMain && !mainBusy && room()) {
      const id = next++;
      slot(id);
      mainBusy = runHere(id).finally(() => {
        mainBusy = undefined;
        fill();
      });
    }
    while (idle.length && room()) dispatch(idle.shift()!);
  };

  for (let k = 0; k < (onMain ? jobs - 1 : jobs); k++) {
    const w = new Worker(script, { workerData: { tasksModule }, resourceLimits: opts.resourceLimits ?? { maxYoungGenerationSizeMb: WORKER_YOUNG_GENERATION_MB } });
    workers.push(w);
    w.on('message', (m: FromWorker) => {
      if (m.type === 'chunk') slot(m.id).queue.push(m.chunk);
      else if (m.type === 'ask') {
        Promise.resolve()
          .then(() => (opts.onAsk ? opts.onAsk(m.id, m.question) : Promise.reject(new Error('this run answers no questions'))))
          .then(
            (value) => !stopped && w.postMessage({ type: 'answer', id: m.id, qid: m.qid, value } satisfies ToWorker),
            (e) => !stopped && w.postMessage({ type: 'answer', id: m.id, qid: m.qid, error: toWire(e) } satisfies ToWorker),
          );
      } else {
        settle(m.id, m.type === 'fail' ? fromWire(m.error) : undefined, m.type === 'done' ? m.result : undefined);
        busy.delete(w);
        idle.push(w);
        fill();
      }
    });
    const lost = (e: Error) => {
      // A thread that died (not a task that failed: those are caught in the worker) ends the run.
      fatal ??= e;
      const id = busy.get(w);
      busy.delete(w);
      if (id !== undefined) settle(id, e);
      for (let i = next; i < tasks.length; i++) settle(i, fatal);
      next = tasks.length;
    };
    w.on('error', lost);
    w.on('exit', (code) => {
      if (!stopped) lost(new Error(`a worker thread exited (code ${code}) before its task was done`));
    });
    idle.push(w);
  }
  try {
    fill();
    for (let i = 0; i < tasks.length; i++) {
      const s = slot(i);
      yield s.run;
      // The consumer is done with task i: room for another one.
      consumed = i + 1;
      fill();
      let failed = false;
      await s.run.result.catch(() => (failed = true));
      if (failed) return;
    }
  } finally {
    stopped = true;
    for (const s of slots) if (s && !s.settled) settle(s.run.index, new Error('stopped: the consumer stopped before this task was taken'));
    // This thread's task stops at its next chunk or question (or where it looks at io.stopped); it is waited for.
    stop();
    for (const m of mainRoom.values()) m.room?.();
    await Promise.all([...workers.map((w) => w.terminate()), mainBusy]);
  }
}

/**
 * The same contract without threads: tasks run one after the other in this
 * thread, each started when the consumer takes it (for --jobs 1 and tests).
 */
export async function* runTasksInline<R>(
  tasks: { name: string; payload: unknown }[],
  registry: Record<string, TaskFn>,
  opts: Omit<RunOptions, 'jobs' | 'tasksModule'> = {},
): AsyncGenerator<TaskRun<R>, void, undefined> {
  const maxQueued = Math.max(1, opts.maxQueued ?? DEFAULT_MAX_QUEUED);
  for (let i = 0; i < tasks.length; i++) {
    const t = tasks[i]!;
    const fn = registry[t.name];
    const d = deferred<R>();
    let waiting = 0;
    let room: (() => void) | undefined;
    const queue = new ChunkQueue(() => {
      waiting--;
      const r = room;
      room = undefined;
      r?.();
    });
    const io: TaskIO = {
      emit: async (c) => {
        queue.push(c);
        if (++waiting >= maxQueued) await new Promise<void>((r) => (room = r));
      },
      ask: async (q) => (opts.onAsk ? opts.onAsk(i, q) : Promise.reject(new Error('this run answers no questions'))),
    };
    const done = (async () => {
      if (!fn) throw new Error(`no task named ${t.name}`);
      return (await fn(t.payload, io)) as R;
    })();
    done.then(
      (r) => {
        queue.end();
        d.resolve(r);
      },
      (e: unknown) => {
        queue.end();
        d.reject(e instanceof Error ? e : new Error(String(e)));
      },
    );
    yield { index: i, chunks: queue, result: d.promise };
    let failed = false;
    await d.promise.catch(() => (failed = true));
    if (failed) return;
  }
}
