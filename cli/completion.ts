/**
 * Shell completion scripts (bash, zsh, fish), generated from the commands and
 * their flags as oclif knows them: commands, flags (long and short), the values
 * of flags with a fixed set, and files for arguments.
 *
 *   process.stdout.write(completionScript('bash', 'auditlog', commandSpecs(config.commands)));
 */
import type { Command } from '@oclif/core';

export interface FlagSpec {
  name: string;
  char?: string;
  /** Takes a value. */
  value: boolean;
  /** The values it takes, when they are a fixed set. */
  options?: string[];
  multiple: boolean;
  allowNo: boolean;
  description: string;
}

export interface CommandSpec {
  id: string;
  summary: string;
  flags: FlagSpec[];
}

export const SHELLS = ['bash', 'zsh', 'fish'] as const;
export type Shell = (typeof SHELLS)[number];

/** What completion needs of oclif's commands (hidden ones left out). */
export function commandSpecs(commands: readonly Command.Loadable[]): CommandSpec[] {
  return commands
    .filter((c) => !c.hidden)
    .map((c) => ({
      id: c.id,
      summary: (c.summary ?? c.description ?? '').split('\n')[0]!,
      flags: Object.entries(c.flags)
        .filter(([, f]) => !f.hidden)
        .map(([name, f]) => ({
          name,
          ...(f.char ? { char: f.char } : {}),
          value: f.type === 'option',
          ...(f.type === 'option' && f.options ? { options: [...f.options] } : {}),
          multiple: f.type === 'option' && f.multiple === true,
          allowNo: f.type === 'boolean' && f.allowNo === true,
          description: (f.summary ?? f.description ?? '').split('\n')[0]!,
        })),
    }))
    .sort((a, b) => (a.id < b.id ? -1 : 1));
}

const sq = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;

function bash(bin: string, cmds: CommandSpec[]): string {
  const fn = `_${bin.replace(/\W/g, '_')}`;
  const lines = [
    `# bash completion for ${bin}: source it, or put it in /etc/bash_completion.d/${bin}`,
    `${fn}() {`,
    '  local cur=${COMP_WORDS[COMP_CWORD]} prev=${COMP_WORDS[COMP_CWORD-1]} opts=""',
    '  if [ "$COMP_CWORD" -eq 1 ]; then',
    `    COMPREPLY=($(compgen -W ${sq(cmds.map((c) => c.id).join(' '))} -- "$cur"))`,
    '    return',
    '  fi',
    '  case "${COMP_WORDS[1]}" in',
  ];
  for (const c of cmds) {
    const words = c.flags.flatMap((f) => [`--${f.name}`, ...(f.allowNo ? [`--no-${f.name}`] : []), ...(f.char ? [`-${f.char}`] : [])]);
    words.push('--help', '-h');
    lines.push(`    ${c.id})`, `      opts=${sq(words.join(' '))}`);
    const withOptions = c.flags.filter((f) => f.options);
    if (withOptions.length) {
      lines.push('      case "$prev" in');
      for (const f of withOptions) lines.push(`        --${f.name}${f.char ? `|-${f.char}` : ''}) COMPREPLY=($(compgen -W ${sq(f.options!.join(' '))} -- "$cur")); return ;;`);
      lines.push('      esac');
    }
    lines.push('      ;;');
  }
  lines.push(
    '  esac',
    '  if [[ "$cur" == -* ]]; then',
    '    COMPREPLY=($(compgen -W "$opts" -- "$cur"))',
    '  else',
    '    COMPREPLY=($(compgen -f -- "$cur"))',
    '  fi',
    '}',
    `complete -o filenames -o bashdefault -F ${fn} ${bin}`,
    '',
  );
  return lines.join('\n');
}

/** Text inside a zsh _arguments [description] or a _describe entry. */
const zdesc = (s: string) => s.replace(/[[\]:\\]/g, (c) => `\\${c}`).replace(/'/g, `'\\''`);

function zsh(bin: string, cmds: CommandSpec[]): string {
  const fn = `_${bin.replace(/\W/g, '_')}`;
  const lines = [
    `#compdef ${bin}`,
    `# zsh completion for ${bin}: put it in a directory of $fpath as _${bin}, or source it`,
    `${fn}() {`,
    '  local -a commands',
    `  commands=(${cmds.map((c) => `'${zdesc(c.id)}:${zdesc(c.summary)}'`).join(' ')})`,
    '  if (( CURRENT == 2 )); then',
    "    _describe 'command' commands",
    '    return',
    '  fi',
    '  case $words[2] in',
  ];
  for (const c of cmds) {
    const specs = c.flags.map((f) => {
      const names = f.char ? `{-${f.char},--${f.name}${f.value ? '=' : ''}}` : `--${f.name}${f.value ? '=' : ''}`;
      const rep = f.multiple ? '*' : '';
      const value = f.value ? `:${f.name}:${f.options ? `(${f.options.join(' ')})` : ''}` : '';
      const spec = `${rep}${names}'[${zdesc(f.description)}]${value}'`;
      return f.allowNo ? `${spec} '--no-${f.name}[${zdesc(`not: ${f.description}`)}]'` : spec;
    });
    specs.push("{-h,--help}'[show help]'", "'*:file:_files'");
    lines.push(`    ${c.id})`, `      _arguments -s ${specs.join(' \\\n        ')}`, '      ;;');
  }
  lines.push('  esac', '}', `if [[ $zsh_eval_context[-1] == loadautofunc ]]; then ${fn} "$@"; else compdef ${fn} ${bin}; fi`, '');
  return lines.join('\n');
}

function fish(bin: string, cmds: CommandSpec[]): string {
  const lines = [`# fish completion for ${bin}: put it in ~/.config/fish/completions/${bin}.fish`, `complete -c ${bin} -f`];
  for (const c of cmds) lines.push(`complete -c ${bin} -n __fish_use_subcommand -a ${c.id} -d ${sq(c.summary)}`);
  for (const c of cmds) {
    const when = `-n ${sq(`__fish_seen_subcommand_from ${c.id}`)}`;
    lines.push(`complete -c ${bin} ${when} -F`);
    for (const f of c.flags) {
      const opts = f.options ? ` -x -a ${sq(f.options.join(' '))}` : f.value ? ' -r' : '';
      lines.push(`complete -c ${bin} ${when} -l ${f.name}${f.char ? ` -s ${f.char}` : ''}${opts} -d ${sq(f.description)}`);
      if (f.allowNo) lines.push(`complete -c ${bin} ${when} -l no-${f.name} -d ${sq(`not: ${f.description}`)}`);
    }
    lines.push(`complete -c ${bin} ${when} -s h -l help -d 'show help'`);
  }
  return lines.join('\n') + '\n';
}

/** The completion script for a shell. */
export function completionScript(shell: Shell, bin: string, cmds: CommandSpec[]): string {
  return shell === 'bash' ? bash(bin, cmds) : shell === 'zsh' ? zsh(bin, cmds) : fish(bin, cmds);
}
