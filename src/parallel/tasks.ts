/**
 * The tasks a worker thread runs, by name (see pool.ts): each takes a
 * structured-clonable payload (a unit of work, src/parallel/plan.ts) and
 * returns a structured-clonable result the main thread merges.
 */
import { convertUnit } from './convert.js';
import { infoTask } from './info.js';
import type { TaskFn } from './pool.js';

export const TASKS: Record<string, TaskFn> = {
  info: infoTask,
  convert: convertUnit,
};
