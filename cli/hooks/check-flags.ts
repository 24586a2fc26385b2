/**
 * oclif `prerun` hook: a flag the command does not have is a usage error
 * (exit 2) that names the closest flag, before the command runs.
 *
 *   $ auditlog show --usr root x.log   ->   Error: Nonexistent flag: --usr. Did you mean --user? ...
 */
import { Errors, type Hook } from '@oclif/core';
import { EXIT } from '../../src/errors.js';
import { closest } from '../did-you-mean.js';

interface FlagDef {
  type: 'boolean' | 'option';
  char?: string;
  allowNo?: boolean;
}

/** The first flag in `argv` that `flags` does not define, and what was probably meant. */
export function unknownFlag(argv: readonly string[], flags: Record<string, FlagDef>): { typed: string; guess?: string } | undefined {
  const chars = new Map(Object.entries(flags).flatMap(([name, f]) => (f.char ? [[f.char, name] as const] : [])));
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--') return undefined;
    let name: string | undefined;
    if (a.startsWith('--') && a.length > 2) {
      const n = a.slice(2).split('=')[0]!;
      if (n === 'help') continue;
      const def = flags[n] ?? (n.startsWith('no-') && flags[n.slice(3)]?.allowNo ? { type: 'boolean' as const } : undefined);
      if (!def) {
        const names = Object.entries(flags).flatMap(([k, f]) => (f.allowNo ? [k, `no-${k}`] : [k]));
        const guess = closest(n, names);
        return guess ? { typed: `--${n}`, guess: `--${guess}` } : { typed: `--${n}` };
      }
      name = a.includes('=') ? undefined : n;
      if (name && flags[name]?.type === 'option') i++;
    } else if (/^-[^-\d]$/.test(a)) {
      const n = chars.get(a[1]!);
      if (n === undefined && a !== '-h') return { typed: a };
      if (n !== undefined && flags[n]?.type === 'option') i++;
    }
  }
  return undefined;
}

const hook: Hook.Prerun = async function (opts) {
  const flags = { ...(opts.Command.baseFlags ?? {}), ...(opts.Command.flags ?? {}) } as unknown as Record<string, FlagDef>;
  const bad = unknownFlag(opts.argv, flags);
  if (!bad) return;
  const hint = bad.guess ? ` Did you mean ${bad.guess}?` : '';
  const bin = opts.Command.id ? `${opts.config.bin} ${opts.Command.id.replaceAll(':', ' ')}` : opts.config.bin;
  Errors.error(`Nonexistent flag: ${bad.typed}.${hint} See "${bin} --help".`, { exit: EXIT.USAGE });
};

export default hook;
