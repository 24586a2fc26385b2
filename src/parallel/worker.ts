/**
 * The worker thread's entry: runs the tasks the pool (pool.ts) sends, one at a
 * time, by name from TASKS (or from the module the pool names), and sends back
 * their chunks, questions and results. Chunks wait for the main thread's
 * acknowledgements: at most `maxQueued` are unacknowledged per task.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { fromWire, toWire, transferable, type FromWorker, type TaskFn, type TaskIO, type ToWorker } from './pool.js';
import { TASKS } from './tasks.js';

const port = parentPort!;
const data = (workerData ?? {}) as { tasksModule?: string };
let registry: Promise<Record<string, TaskFn>> | undefined;
const tasks = () => (registry ??= data.tasksModule ? import(data.tasksModule).then((m: { TASKS: Record<string, TaskFn> }) => m.TASKS) : Promise.resolve(TASKS));

/** Per running task: chunks not yet acknowledged, and who waits for room. */
const unacked = new Map<number, { n: number; room?: () => void }>();
const answers = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
let qids = 0;

const send = (m: FromWorker, transfer: ArrayBuffer[] = []) => port.postMessage(m, transfer);

async function run(m: Extract<ToWorker, { type: 'run' }>): Promise<void> {
  const state: { n: number; room?: () => void } = { n: 0 };
  unacked.set(m.id, state);
  const io: TaskIO = {
    async emit(chunk) {
      const t = transferable(chunk);
      send({ type: 'chunk', id: m.id, chunk }, t ? [t] : []);
      if (++state.n >= m.maxQueued) await new Promise<void>((r) => (state.room = r));
    },
    ask(question) {
      const qid = ++qids;
      return new Promise((resolve, reject) => {
        answers.set(qid, { resolve, reject });
        send({ type: 'ask', id: m.id, qid, question });
      });
    },
  };
  try {
    const fn = (await tasks())[m.name];
    if (!fn) throw new Error(`no task named ${m.name}`);
    const result = await fn(m.payload, io);
    send({ type: 'done', id: m.id, result });
  } catch (e) {
    send({ type: 'fail', id: m.id, error: toWire(e) });
  } finally {
    unacked.delete(m.id);
  }
}

port.on('message', (m: ToWorker) => {
  if (m.type === 'run') void run(m);
  else if (m.type === 'ack') {
    const s = unacked.get(m.id);
    if (!s) return;
    s.n--;
    const r = s.room;
    s.room = undefined;
    r?.();
  } else {
    const a = answers.get(m.qid);
    if (!a) return;
    answers.delete(m.qid);
    if (m.error) a.reject(fromWire(m.error));
    else a.resolve(m.value);
  }
});
