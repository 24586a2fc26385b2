/**
 * `--jobs N`: how many worker threads read the inputs.
 *
 * `info` uses one worker per core by default: its reports are merged from
 * parts without re-reading, and two workers beat one thread on every input of
 * 96 MiB or more measured (README, Performance); below that it reads on one
 * thread whatever N is (src/parallel/info.ts INFO_MIN_BYTES).
 *
 * `convert`, `show` and `read` default to 1 (one thread, one input after the
 * other): their workers hand every record they keep to the main thread, and on
 * the 2-core machine measured that made two workers at best a little faster
 * than one thread (show with a filter 1.0-1.1x, read 1.0x) and much slower when
 * most records are kept (show without a filter 0.66x), at up to twice the
 * memory. There threads are asked for, not assumed.
 */
import { availableParallelism } from 'node:os';
import type { JobsOptions } from '../src/parallel/convert.js';
import { Flags } from './core.js';

/** `info`'s default: one worker per core (1 on a single core: no thread is started). */
export function oneJobPerCore(): number {
  return Math.max(1, availableParallelism());
}

/** The default of `convert`, `show` and `read`. */
export function defaultJobs(): number {
  return 1;
}

export const infoJobsFlag = Flags.integer({
  char: 'j',
  min: 1,
  description: 'worker threads reading the inputs, several files at once and large plain or encrypted files in parts (default: one per core; 1 reads one input after the other on one thread; the report is the same for every N)',
});

export const jobsFlag = Flags.integer({
  char: 'j',
  min: 1,
  description: 'worker threads reading the inputs, several files at once and large plain or encrypted files in parts (default 1: one input after the other, on one thread; the output is the same for every N)',
});

/** Below this many bytes of input no thread is started and no file is cut (tuning and tests). */
export const splitBytesFlag = Flags.integer({
  min: 0,
  hidden: true,
  description: 'inputs smaller than this many bytes are not cut into parts, and runs with less input than this use no worker threads',
});

export const showJobsFlag = Flags.integer({
  char: 'j',
  min: 1,
  description: 'worker threads reading and filtering the inputs, several files at once and large plain or encrypted files in parts, from 96 MiB of input (default 1: one input after the other, on one thread; --limit reads on one thread; the rows are the same for every N)',
});

/**
 * Below this many input bytes in all, `show` reads on one thread: as for
 * `info` (src/parallel/info.ts INFO_MIN_BYTES), starting workers costs about
 * 0.2 s of each core.
 */
export const SHOW_MIN_BYTES = 96 * 1024 * 1024;

/**
 * How `show` runs: on one thread unless `--jobs` asks for more; on one thread
 * with `--limit` (it stops at the Nth match, and what it reports should be what
 * it read up to there, not what workers read ahead).
 */
export function showJobs(flags: { jobs?: number | undefined; limit?: number | undefined; 'split-bytes'?: number | undefined }): JobsOptions {
  const split = flags['split-bytes'];
  return {
    jobs: flags.limit !== undefined ? 1 : (flags.jobs ?? defaultJobs()),
    minBytes: split ?? SHOW_MIN_BYTES,
    ...(split !== undefined ? { splitBytes: split } : {}),
  };
}

export const readJobsFlag = Flags.integer({
  char: 'j',
  min: 1,
  description: 'worker threads reading the files a read goes through from their start (large plain or encrypted ones in parts), when every event is wanted (no --max-array-length) and they hold 96 MiB or more (default 1: one thread; the output and the saved cursor are the same for every N)',
});
