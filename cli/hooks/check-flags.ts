/**
 * oclif `prerun` hook: a flag the command does not have is a usage error
 * (exit 2) that names the closest flag, before the command runs.
 *
 *   $ auditlog show --usr root x.log   ->   Error: Nonexistent flag: --usr. Did you mean --user? ...
 */
import { Errors, type Hook } from '@oclif/core';
import { EXIT } from '../../src/errors.js';
import { unknownFlag, type FlagDef } from '../did-you-mean.js';

const hook: Hook.Prerun = async function (opts) {
  const flags = { ...(opts.Command.baseFlags ?? {}), ...(opts.Command.flags ?? {}) } as unknown as Record<string, FlagDef>;
  const bad = unknownFlag(opts.argv, flags);
  if (!bad) return;
  const hint = bad.guess ? ` Did you mean ${bad.guess}?` : '';
  const bin = opts.Command.id ? `${opts.config.bin} ${opts.Command.id.replaceAll(':', ' ')}` : opts.config.bin;
  Errors.error(`Nonexistent flag: ${bad.typed}.${hint} See "${bin} --help".`, { exit: EXIT.USAGE });
};

export default hook;
