/**
 * Suggestions for mistyped commands and flags: the closest known name by edit
 * distance (adjacent swaps count as one edit), or one that starts with what
 * was typed.
 *
 *   closest('infoo', ['info', 'convert', 'show'])   // 'info'
 */

/** Optimal string alignment distance between a and b. */
export function editDistance(a: string, b: string): number {
  const d: number[][] = Array.from({ length: a.length + 1 }, (_, i) => [i, ...Array<number>(b.length).fill(0)]);
  for (let j = 1; j <= b.length; j++) d[0]![j] = j;
  for (let i = 1; i <= a.length; i++)
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let v = Math.min(d[i - 1]![j]! + 1, d[i]![j - 1]! + 1, d[i - 1]![j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) v = Math.min(v, d[i - 2]![j - 2]! + 1);
      d[i]![j] = v;
    }
  return d[a.length]![b.length]!;
}

/**
 * The known name closest to `typed`, if it is close enough to be what was meant
 * (at most a third of its letters wrong, at least one right), else undefined.
 */
export function closest(typed: string, known: readonly string[]): string | undefined {
  const t = typed.toLowerCase();
  let best: string | undefined;
  let bestD = Infinity;
  for (const k of known) {
    const d = editDistance(t, k.toLowerCase());
    if (d < bestD || (d === bestD && best !== undefined && k < best)) {
      best = k;
      bestD = d;
    }
  }
  if (best !== undefined && bestD <= Math.max(1, Math.floor(best.length / 3))) return best;
  const prefixed = known.filter((k) => t.length >= 2 && k.toLowerCase().startsWith(t));
  return prefixed.length === 1 ? prefixed[0] : undefined;
}

/** The message for a command that does not exist, with the closest one. */
export function unknownCommandMessage(typed: string, bin: string, commands: readonly string[]): string {
  const guess = closest(typed, commands);
  return `"${typed}" is not ${/^[aeiou]/i.test(bin) ? 'an' : 'a'} ${bin} command.${guess ? ` Did you mean "${guess}"?` : ''} Run "${bin} help" for a list of commands.`;
}

/** What a flag check needs of a flag definition (oclif's, or its manifest entry). */
export interface FlagDef {
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
