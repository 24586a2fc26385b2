/**
 * Light stand-ins for the oclif pieces a command file is built from
 * (`Command`, `Flags`, `Args`), used when the fast path (cli/fast-path.ts)
 * runs a command: argv was parsed already, from the manifest, so `parse`
 * hands that result over; `exit` ends through the fast path's finish; errors
 * and warnings are oclif's own (loaded then, on the way out).
 */
import { createRequire } from 'node:module';
import { format, inspect } from 'node:util';
import { reclaimStdout } from './stdio.js';

/** Set on globalThis before a command file loads: cli/core.ts then exports these classes. */
export const LITE = Symbol.for('auditlog.lite-core');
/** Where the fast path leaves the parse result on the command. */
export const PARSED = Symbol('parsed');

/** What oclif's parser returns (the parts a command reads). */
export interface ParseOutput {
  args: Record<string, string>;
  argv: string[];
  flags: Record<string, unknown>;
  metadata: { flags: Record<string, { setFromDefault?: boolean }> };
  nonExistentFlags: string[];
  raw: unknown[];
}

/** The Config fields a fast-path command may read. */
export interface LiteConfig {
  name: string;
  version: string;
  bin: string;
  root: string;
  platform: string;
  arch: string;
  userAgent: string;
  pjson: unknown;
}

/** `this.exit(code)`: ends the run with `code` (oclif's ExitError, without oclif). */
export class LiteExit extends Error {
  constructor(readonly code: number) {
    super(`EEXIT: ${code}`);
  }
}

/** oclif's error helpers, loaded when a command reports an error or a warning. */
function oclifErrors(): typeof import('@oclif/core/errors') {
  const errors = createRequire(import.meta.url)('@oclif/core/errors') as typeof import('@oclif/core/errors');
  reclaimStdout();
  return errors;
}

export class LiteCommand {
  static id: string;
  static summary?: string;
  static description?: string;
  static examples?: unknown[];
  static strict = true;
  static flags: Record<string, unknown> = {};
  static args: Record<string, unknown> = {};
  id: string;
  parsed = false;
  [PARSED]?: ParseOutput;

  constructor(
    public argv: string[],
    public config: LiteConfig,
  ) {
    this.id = (this.constructor as typeof LiteCommand).id;
  }

  async run(): Promise<unknown> {
    throw new Error(`${this.id} has no run()`);
  }

  async parse(): Promise<ParseOutput> {
    this.parsed = true;
    return this[PARSED]!;
  }

  exit(code = 0): never {
    throw new LiteExit(code);
  }

  error(input: string | Error, options: { exit?: number | false; code?: string } = {}): never {
    return oclifErrors().error(input, options as { exit: number }) as never;
  }

  warn(input: string | Error): string | Error {
    oclifErrors().warn(input);
    return input;
  }

  jsonEnabled(): boolean {
    return false;
  }

  log(message: unknown = '', ...args: unknown[]): void {
    const m = typeof message === 'string' ? message : inspect(message);
    console.log(m ? format(m, ...args) : format(...args));
  }

  logToStderr(message: unknown = '', ...args: unknown[]): void {
    const m = typeof message === 'string' ? message : inspect(message);
    console.error(m ? format(m, ...args) : format(...args));
  }
}

type Options = Record<string, unknown>;
const inert = (type: string) => (o: Options = {}) => ({ ...o, type });
const inertFactory = (type: string) => (d: Options = {}) => (o: Options = {}) => ({ ...d, ...o, type });

/**
 * Flag and argument definitions keep their options and nothing more: the fast
 * path parses from the manifest. Every oclif helper is here, so a shared
 * module that defines any kind of flag loads; the manifest keeps the commands
 * whose flags parse in their own way on the oclif path.
 */
export const Flags = {
  boolean: inert('boolean'),
  string: inert('option'),
  integer: inert('option'),
  directory: inert('option'),
  file: inert('option'),
  url: inert('option'),
  version: inert('boolean'),
  help: inert('boolean'),
  option: inertFactory('option'),
  custom: inertFactory('option'),
};

export const Args = {
  boolean: inert('option'),
  string: inert('option'),
  integer: inert('option'),
  directory: inert('option'),
  file: inert('option'),
  url: inert('option'),
  custom: inertFactory('option'),
};
