/**
 * `--jobs N`: how many worker threads read the inputs.
 *
 * `info` uses one worker per core by default: its reports are merged from
 * parts without re-reading, and two workers beat one thread on every input of
 * 96 MiB or more measured (README, Performance); below that it reads on one
 * thread whatever N is (src/parallel/info.ts INFO_MIN_BYTES). `convert` defaults to 1 (one thread, one
 * input after the other): its workers hand every output byte to the main
 * thread, and on the 2-core machines measured that made two workers no faster
 * than one thread (same-format output slower), so there threads are asked for,
 * not assumed.
 */
import { availableParallelism } from 'node:os';
import type { JobsOptions } from '../src/parallel/convert.js';
import { Flags } from './core.js';

/** The default of `info`, `show` and `read`: one worker per core (1 on a single core: no thread is started). */
export function oneJobPerCore(): number {
  return Math.max(1, availableParallelism());
}

/** `convert`'s default. */
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
  description: 'worker threads reading and filtering the inputs, several files at once and large plain or encrypted files in parts (default: one per core from 96 MiB of input, else 1; --limit reads on one thread; the rows are the same for every N)',
});

/**
 * Below this many input bytes in all, `show` reads on one thread: as for
 * `info` (src/parallel/info.ts INFO_MIN_BYTES), starting workers costs about
 * 0.2 s of each core.
 */
export const SHOW_MIN_BYTES = 96 * 1024 * 1024;

/**
 * How `show` runs: one worker per core by default; one thread with `--limit`
 * (it stops at the Nth match, and what it reports should be what it read up
 * to there, not what workers read ahead).
 */
export function showJobs(flags: { jobs?: number | undefined; limit?: number | undefined; 'split-bytes'?: number | undefined }): JobsOptions {
  const split = flags['split-bytes'];
  return {
    jobs: flags.limit !== undefined ? 1 : (flags.jobs ?? oneJobPerCore()),
    minBytes: split ?? SHOW_MIN_BYTES,
    ...(split !== undefined ? { splitBytes: split } : {}),
  };
}

export const readJobsFlag = Flags.integer({
  char: 'j',
  min: 1,
  description: 'worker threads reading the whole files after the one the read starts in, when every event is wanted (no --max-array-length) and they hold 96 MiB or more (default: one per core; the output and the saved cursor are the same for every N)',
});
