/**
 * `--jobs N`: how many worker threads read the inputs. The default is 1 (the
 * main thread, one input after the other): on the 2-core machines measured so
 * far, two workers were no faster than one thread for most inputs (see the
 * README's numbers), so threads are asked for, not assumed.
 */
import { Flags } from './core.js';

export function defaultJobs(): number {
  return 1;
}

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
