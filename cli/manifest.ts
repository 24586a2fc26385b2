/**
 * `oclif.manifest.json`, written by the build: oclif's own command cache (so
 * a run loads one command file, not all of them) and, per command, the table
 * the fast path parses with (`fastPath`: the flags' kinds, defaults, choices,
 * limits and exclusions, which oclif's cache leaves out), or why that command
 * always goes through oclif.
 *
 *   node dist/cli/manifest.js            # npm run build does this after tsc
 *   const m = await buildManifest(ROOT); // what the file must hold
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Args, Flags, Plugin, type Command } from '@oclif/core';
import type { FastArg, FastCommand, FastFlag, Manifest } from './fast-path.js';

/** Commands that need oclif's whole Config: the command list, the help renderer. */
const OCLIF_ONLY: Record<string, string> = {
  help: 'renders help from the loaded Config',
  completion: 'lists every command from the loaded Config',
};

const STRING_PARSE = Flags.string().parse.toString();
const BOOLEAN_PARSE = Flags.boolean().parse.toString();
const INTEGER_PARSE = Flags.integer().parse;
const ARG_STRING_PARSE = Args.string().parse.toString();

/** Flag properties whose effect the fast path does not reproduce. */
const UNSUPPORTED_FLAG_PROPS = ['env', 'dependsOn', 'relationships', 'exactlyOne', 'atLeastOne', 'combinable', 'delimiter', 'allowStdin', 'deprecated', 'deprecateAliases', 'defaultHelp'] as const;

/** A flag or argument definition, as the command class holds it. */
type Definition = Record<string, unknown> & { type?: string; parse: (...a: never[]) => unknown };

function fastFlag(name: string, f: Definition): FastFlag | string {
  for (const p of UNSUPPORTED_FLAG_PROPS) if (f[p] !== undefined) return `--${name} has ${p}`;
  if ((f.aliases as unknown[] | undefined)?.length || (f.charAliases as unknown[] | undefined)?.length) return `--${name} has aliases`;
  if (typeof f.default === 'function') return `--${name} has a computed default`;
  const exclusive = f.exclusive as unknown[] | undefined;
  if (exclusive?.some((e) => typeof e !== 'string')) return `--${name} has a conditional exclusion`;
  const kind = f.type === 'boolean' ? (f.parse.toString() === BOOLEAN_PARSE ? 'boolean' : undefined) : f.parse === INTEGER_PARSE ? 'integer' : f.parse.toString() === STRING_PARSE ? 'string' : undefined;
  if (!kind) return `--${name} has its own parse function`;
  const out: FastFlag = { kind };
  if (f.char) out.char = f.char as string;
  if (kind === 'boolean' && f.allowNo) out.allowNo = true;
  if (kind !== 'boolean' && f.multiple) out.multiple = f.multipleNonGreedy ? 'non-greedy' : 'greedy';
  if (f.options) out.options = [...(f.options as string[])];
  if (f.default !== undefined) out.default = f.default as FastFlag['default'];
  if (f.required) out.required = true;
  if (exclusive?.length) out.exclusive = exclusive as string[];
  if (typeof f.min === 'number') out.min = f.min;
  if (typeof f.max === 'number') out.max = f.max;
  return out;
}

function fastArg(name: string, a: Definition): FastArg | string {
  if (a.multiple) return `argument ${name} is variadic`;
  if (a.default !== undefined) return `argument ${name} has a default`;
  if (a.parse.toString() !== ARG_STRING_PARSE) return `argument ${name} has its own parse function`;
  const out: FastArg = {};
  if (a.options) out.options = [...(a.options as string[])];
  if (a.required) out.required = true;
  if (a.ignoreStdin) out.ignoreStdin = true;
  return out;
}

/**
 * What the fast path needs to parse and run `cmd`, or why it cannot. `source`
 * is the command file's text: a command built on oclif's own Command (not
 * cli/core.js) cannot run on the light one.
 */
export function fastPathEntry(cmd: Command.Class, source: string): FastCommand | { unsupported: string } {
  const id = cmd.id;
  if (OCLIF_ONLY[id]) return { unsupported: OCLIF_ONLY[id] };
  if (/from ['"]@oclif\/core['"]/.test(source)) return { unsupported: 'imports @oclif/core itself, not cli/core.js' };
  if (id.includes(':')) return { unsupported: 'a topic command' };
  if (cmd.enableJsonFlag) return { unsupported: 'oclif handles its --json' };
  if (cmd.state === 'deprecated' || cmd.deprecateAliases) return { unsupported: 'deprecation warnings' };
  const flags: Record<string, FastFlag> = {};
  for (const [name, f] of Object.entries({ ...(cmd.baseFlags ?? {}), ...(cmd.flags ?? {}) })) {
    const e = fastFlag(name, f as unknown as Definition);
    if (typeof e === 'string') return { unsupported: e };
    flags[name] = e;
  }
  const args: Record<string, FastArg> = {};
  let optional = false;
  for (const [name, a] of Object.entries(cmd.args ?? {})) {
    const e = fastArg(name, a as unknown as Definition);
    if (typeof e === 'string') return { unsupported: e };
    if (e.required && optional) return { unsupported: 'a required argument after an optional one' };
    optional ||= !e.required;
    args[name] = e;
  }
  return { strict: cmd.strict !== false, flags, args };
}

/** The manifest of the package at `root`, from its built commands. */
export async function buildManifest(root: string): Promise<Manifest> {
  const plugin = new Plugin({ root, type: 'core', isRoot: true, ignoreManifest: true, errorOnManifestCreate: true });
  await plugin.load();
  const commands: Manifest['commands'] = {};
  for (const id of Object.keys(plugin.manifest.commands).sort()) {
    const cmd = await plugin.findCommand(id, { must: true });
    const entry = plugin.manifest.commands[id] as unknown as Manifest['commands'][string];
    const source = entry.relativePath ? readFileSync(join(root, ...entry.relativePath), 'utf8') : '';
    commands[id] = { ...entry, fastPath: source ? fastPathEntry(cmd, source) : { unsupported: 'no command file in the manifest' } };
  }
  return { commands, version: plugin.manifest.version };
}

/** The manifest as the file holds it. */
export function manifestText(m: Manifest): string {
  return JSON.stringify(m, null, 2) + '\n';
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
  writeFileSync(join(root, 'oclif.manifest.json'), manifestText(await buildManifest(root)));
}
