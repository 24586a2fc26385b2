/**
 * The fast path: a plain run of a command (`auditlog info x.log`) without
 * loading oclif, which costs more than the run itself on small files. The
 * manifest the build writes (cli/manifest.ts) says how each command's flags
 * parse; argv is parsed here exactly as oclif parses it, and the command runs
 * on the light base class of cli/lite-core.ts. Whatever oclif would answer
 * differently (help, --version, usage errors, unknown commands and flags, a
 * stdin argument, debug settings, a stale manifest) is left to oclif: then
 * `fastPath` returns undefined before anything was loaded or written.
 *
 *   const run = fastPath(argv, root);
 *   if (run) await run(); else await oclifRun(argv);
 *
 * `AUDITLOG_NO_FAST_PATH=1` always takes the oclif path (to compare the two).
 */
import { readFileSync } from 'node:fs';
import { arch, platform, release } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { unknownFlag } from './did-you-mean.js';
import { LITE, LiteExit, PARSED, type LiteConfig, type ParseOutput } from './lite-core.js';
import { finish, installStdio } from './stdio.js';

/** How the fast path parses one flag (the manifest's `fastPath.flags` entries). */
export interface FastFlag {
  kind: 'boolean' | 'string' | 'integer';
  char?: string;
  allowNo?: boolean;
  multiple?: 'greedy' | 'non-greedy';
  options?: string[];
  default?: string | number | boolean | string[];
  required?: boolean;
  exclusive?: string[];
  min?: number;
  max?: number;
}

/** One positional argument (string-valued). */
export interface FastArg {
  options?: string[];
  required?: boolean;
  ignoreStdin?: boolean;
}

/** A command the fast path can run. */
export interface FastCommand {
  strict: boolean;
  flags: Record<string, FastFlag>;
  args: Record<string, FastArg>;
}

/** oclif.manifest.json: oclif's command cache, each command with its fast-path table. */
export interface Manifest {
  version: string;
  commands: Record<string, { id: string; relativePath?: string[]; fastPath: FastCommand | { unsupported: string } } & Record<string, unknown>>;
}

/** The oclif settings of package.json the fast path reproduces; any other setting goes through oclif. */
const REPRODUCED = {
  bin: 'auditlog',
  dirname: 'auditlog',
  commands: './dist/commands',
  topicSeparator: ' ',
  additionalHelpFlags: ['-h'],
  hooks: { command_not_found: './dist/cli/hooks/not-found.js', prerun: './dist/cli/hooks/check-flags.js' },
};

/** Environment that changes what oclif prints or does (debug output, its own switches). */
function oclifEnvironment(env: NodeJS.ProcessEnv): boolean {
  if (env.AUDITLOG_NO_FAST_PATH || env.DEBUG || env.AUDITLOG_DEBUG || env.CLI_FLAGS_DEBUG || env.AUDITLOG_REDIRECTED) return true;
  return Object.keys(env).some((k) => k.startsWith('OCLIF_'));
}

/** What oclif's findFlag finds for `arg`: the flag's name, if `arg` names one. */
function findFlag(arg: string, flags: Record<string, FastFlag>): string | undefined {
  if (arg.startsWith('--')) {
    const name = arg.slice(2);
    if (Object.hasOwn(flags, name)) return name;
    if (arg.startsWith('--no-')) {
      const f = flags[arg.slice(5)];
      if (f?.kind === 'boolean' && f.allowNo) return arg.slice(5);
    }
    return undefined;
  }
  if (arg.startsWith('-')) {
    const char = arg[1];
    if (char === undefined) return undefined;
    return Object.keys(flags).find((k) => flags[k]!.char === char);
  }
  return undefined;
}

type Token = { type: 'flag'; flag: string; input: string } | { type: 'arg'; arg: string | undefined; input: string };

/**
 * argv parsed as oclif's parser and validator parse it (same flags, args,
 * argv, in the same order), or undefined where oclif would answer otherwise:
 * an error, help, a stdin read, or a form this parser leaves to it.
 */
export function parseArgv(argv: readonly string[], cmd: FastCommand): ParseOutput | undefined {
  const { flags } = cmd;
  const argNames = Object.keys(cmd.args);
  const raw: Token[] = [];
  let argTokens = 0;
  const chars = new Map(Object.entries(flags).flatMap(([n, f]) => (f.char ? [[f.char, n] as const] : [])));
  for (let i = 0; i < argv.length; i++) {
    const t = argv[i]!;
    if (t === '--' || t === '--help' || t === '-h') return undefined;
    if (t.startsWith('-') && t !== '-') {
      if (/^-\d/.test(t)) return undefined;
      let name: string | undefined;
      let inline: string | undefined;
      if (t.startsWith('--')) {
        const eq = t.indexOf('=');
        name = eq === -1 ? t.slice(2) : t.slice(2, eq);
        if (eq !== -1) inline = t.slice(eq + 1);
        if (!Object.hasOwn(flags, name)) {
          const negated = name.startsWith('no-') ? flags[name.slice(3)] : undefined;
          if (inline !== undefined || negated?.kind !== 'boolean' || !negated.allowNo) return undefined;
          raw.push({ type: 'flag', flag: name.slice(3), input: t });
          continue;
        }
      } else {
        if (t.length !== 2) return undefined;
        name = chars.get(t[1]!);
        if (name === undefined) return undefined;
      }
      const f = flags[name]!;
      if (f.kind === 'boolean') {
        if (inline !== undefined) return undefined;
        raw.push({ type: 'flag', flag: name, input: t });
        continue;
      }
      if (f.multiple === 'greedy') return undefined;
      if (!f.multiple && raw.some((o) => o.type === 'flag' && o.flag === name)) return undefined;
      const value = inline ?? argv[++i];
      if (value === undefined || findFlag(value, flags) !== undefined) return undefined;
      raw.push({ type: 'flag', flag: name, input: value });
      continue;
    }
    raw.push({ type: 'arg', arg: argNames[argTokens++], input: t });
  }

  // Flags, in definition order: given values, else defaults.
  const out: Record<string, unknown> = {};
  const fromDefault = new Set<string>();
  const metadata: ParseOutput['metadata'] = { flags: {} };
  for (const [name, f] of Object.entries(flags)) {
    const tokens = raw.filter((o): o is Extract<Token, { type: 'flag' }> => o.type === 'flag' && o.flag === name);
    let value: unknown;
    if (tokens.length === 0) {
      if (f.kind !== 'boolean' && f.default === undefined) continue;
      fromDefault.add(name);
      metadata.flags[name] = { setFromDefault: true };
      value = f.default;
    } else if (f.kind === 'boolean') {
      value = tokens.at(-1)!.input !== `--no-${name}`;
    } else {
      const values: unknown[] = [];
      for (const { input } of tokens) {
        if (f.options && !f.options.includes(input)) return undefined;
        const v = f.kind === 'integer' ? integer(input, f) : input;
        if (v === undefined) return undefined;
        values.push(v);
      }
      value = f.multiple ? values : values.at(-1);
    }
    if (value !== undefined) out[name] = value;
  }
  for (const [name, f] of Object.entries(flags)) {
    if (out[name] === undefined) {
      if (f.required) return undefined;
      continue;
    }
    if (fromDefault.has(name)) continue;
    for (const other of f.exclusive ?? []) if (!fromDefault.has(other) && out[other] !== undefined) return undefined;
  }

  // Arguments: the first positionals by name, every positional in argv.
  const args: Record<string, string> = {};
  const positional: string[] = [];
  for (const [name, a] of Object.entries(cmd.args)) {
    const token = raw.find((o): o is Extract<Token, { type: 'arg' }> => o.type === 'arg' && o.arg === name);
    if (!token) {
      if (!a.ignoreStdin || a.required) return undefined;
      continue;
    }
    if (a.options && !a.options.includes(token.input)) return undefined;
    positional.push(token.input);
    args[name] = token.input;
  }
  for (const o of raw) if (o.type === 'arg' && (o.arg === undefined || args[o.arg] === undefined)) positional.push(o.input);
  if (cmd.strict && positional.length > argNames.length) return undefined;
  const original = [...argv];
  positional.sort((a, b) => original.indexOf(a) - original.indexOf(b));
  return { args, argv: positional, flags: out, metadata, nonExistentFlags: [], raw };
}

/** oclif's integer flag parse, or undefined where it fails. */
function integer(input: string, f: FastFlag): number | undefined {
  if (!/^-?\d+$/.test(input)) return undefined;
  const n = Number.parseInt(input, 10);
  if ((f.min !== undefined && n < f.min) || (f.max !== undefined && n > f.max)) return undefined;
  return n;
}

/** Config's platform, where it is found without oclif ('wsl' is left to oclif's own test). */
function plainPlatform(): string | undefined {
  const p = platform();
  if (p !== 'linux') return p;
  if (release().toLowerCase().includes('microsoft')) return undefined;
  try {
    if (readFileSync('/proc/version', 'utf8').toLowerCase().includes('microsoft')) return undefined;
  } catch {
    // no /proc: not WSL
  }
  return p;
}

function readJson(file: string): unknown {
  try {
    return JSON.parse(readFileSync(file, 'utf8'));
  } catch {
    return undefined;
  }
}

/**
 * The fast run of `argv` for the package at `root`, or undefined when the run
 * is oclif's to do. Nothing is loaded, written or changed before it returns.
 */
export function fastPath(argv: readonly string[], root: string, env: NodeJS.ProcessEnv = process.env): (() => Promise<void>) | undefined {
  const [id, ...rest] = argv;
  if (id === undefined || id.startsWith('-') || oclifEnvironment(env)) return undefined;
  try {
    process.cwd();
  } catch {
    return undefined; // oclif warns about a deleted working directory
  }
  const pjson = readJson(join(root, 'package.json')) as { name: string; version: string; oclif?: unknown } | undefined;
  const manifest = readJson(join(root, 'oclif.manifest.json')) as Manifest | undefined;
  if (!pjson || !manifest || manifest.version !== pjson.version) return undefined;
  if (JSON.stringify(pjson.oclif) !== JSON.stringify(REPRODUCED)) return undefined;
  const entry = Object.hasOwn(manifest.commands, id) ? manifest.commands[id] : undefined;
  if (!entry?.relativePath || 'unsupported' in entry.fastPath) return undefined;
  const cmd = entry.fastPath;
  const defs = Object.fromEntries(Object.entries(cmd.flags).map(([n, f]) => [n, { type: f.kind === 'boolean' ? ('boolean' as const) : ('option' as const), char: f.char, allowNo: f.allowNo }]));
  if (unknownFlag(rest, defs)) return undefined; // the prerun hook's usage error
  const parsed = parseArgv(rest, cmd);
  const plat = plainPlatform();
  if (!parsed || !plat) return undefined;
  const a = arch() === 'ia32' ? 'x86' : arch();
  const config: LiteConfig = {
    name: pjson.name,
    version: pjson.version,
    bin: REPRODUCED.bin,
    root,
    platform: plat,
    arch: a,
    userAgent: `${pjson.name}/${pjson.version} ${plat}-${a} node-${process.version}`,
    pjson,
  };
  const file = pathToFileURL(join(root, ...entry.relativePath)).href;
  return () => runLite(file, id, rest, parsed, Object.keys(cmd.flags), config);
}

/**
 * The parse result with each defaulted flag set from the command's own
 * definition: a default computed when the command file loads (the number of
 * cores) is this machine's, not the one the manifest was built on.
 */
export function withLiveDefaults(parsed: ParseOutput, order: readonly string[], live: Record<string, { default?: unknown } | undefined>): ParseOutput {
  const flags = Object.fromEntries(
    order.flatMap((name) => {
      const v = parsed.metadata.flags[name]?.setFromDefault ? live[name]?.default : parsed.flags[name];
      return v === undefined ? [] : [[name, v] as const];
    }),
  );
  return { ...parsed, flags };
}

/** Run the command as oclif's Command._run does, errors shown by oclif's own handler. */
async function runLite(file: string, id: string, argv: string[], parsed: ParseOutput, order: string[], config: LiteConfig): Promise<void> {
  (globalThis as Record<symbol, unknown>)[LITE] = true;
  const g = globalThis as { 'http-call'?: { userAgent?: string } };
  g['http-call'] = { ...g['http-call'], userAgent: config.userAgent };
  let cmd: InstanceType<typeof import('./lite-core.js').LiteCommand> | undefined;
  try {
    const Cls = ((await import(file)) as { default: typeof import('./lite-core.js').LiteCommand }).default;
    installStdio();
    Cls.id = id;
    cmd = new Cls(argv, config);
    cmd[PARSED] = withLiveDefaults(parsed, order, Cls.flags as Record<string, { default?: unknown }>);
    await cmd.run();
  } catch (e) {
    const err = e as { exitCode?: number };
    process.exitCode = process.exitCode ?? err.exitCode ?? 1;
    if (e instanceof LiteExit) return finish(e.code);
    const { Exit, handle } = await import('@oclif/core/handle');
    installStdio(Exit);
    return handle(e as Error);
  }
  if (!cmd.parsed && ['development', 'test'].includes(process.env.NODE_ENV ?? ''))
    process.emitWarning(`Command ${id} did not parse its arguments. Did you forget to call 'this.parse'?`, { code: 'UnparsedCommand' });
}
