/**
 * The `--jobs N` flag: how many worker threads a command reads its inputs
 * with (src/parallel/). Default: one per core. `--jobs 1` is the sequential
 * path. Below a size the work stays in one thread; AUDITLOG_JOBS_MIN_BYTES and
 * AUDITLOG_SPLIT_BYTES set that size and the size from which one file is cut
 * into ranges (tests use them to force small cuts).
 *
 *   static flags = { jobs: jobsFlag };
 *   const job = jobsOptions(flags.jobs);
 */
import { Flags } from '@oclif/core';
import { availableParallelism } from 'node:os';
import type { JobsOptions } from '../src/parallel/convert.js';

export const jobsFlag = Flags.integer({
  description: 'worker threads to read the inputs with (default: one per core; 1: one thread). Large plain or AES files are cut into ranges at record starts; gzip, stdin and --track-db read in one thread',
  min: 1,
});

function bytesFromEnv(name: string): number | undefined {
  const v = process.env[name];
  if (v === undefined || !/^\d+$/.test(v)) return undefined;
  return Number(v);
}

/** The library's JobsOptions from the flag value. */
export function jobsOptions(jobs: number | undefined): JobsOptions {
  const minBytes = bytesFromEnv('AUDITLOG_JOBS_MIN_BYTES');
  const splitBytes = bytesFromEnv('AUDITLOG_SPLIT_BYTES');
  return { jobs: jobs ?? availableParallelism(), ...(minBytes !== undefined ? { minBytes } : {}), ...(splitBytes !== undefined ? { splitBytes } : {}) };
}
