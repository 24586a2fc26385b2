/**
 * `--jobs N`: how many worker threads read the inputs (default: one per core).
 * `--jobs 1` reads on the main thread, one input after the other.
 */
import { availableParallelism } from 'node:os';
import { Flags } from '@oclif/core';

export function defaultJobs(): number {
  return availableParallelism();
}

export const jobsFlag = Flags.integer({
  char: 'j',
  min: 1,
  description: 'worker threads reading the inputs, several files at once and large plain or encrypted files in parts (default: one per core; 1: one after the other, on one thread)',
});

/** Below this many bytes of input no thread is started and no file is cut (tuning and tests). */
export const splitBytesFlag = Flags.integer({
  min: 0,
  hidden: true,
  description: 'inputs smaller than this many bytes are not cut into parts, and runs with less input than this use no worker threads',
});
