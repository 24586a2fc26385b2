/**
 * Glue shared by the commands: which inputs to read, and how an error is
 * shown and turned into an exit code. No audit logic lives here.
 *
 *   const files = inputs(this, args.files);
 *   try { ... } catch (e) { return failed(this, e, flags.json); }
 */
import { Flags, type Command } from './core.js';
import { AuditLogError, EXIT } from '../src/errors.js';
import { createPasswordSource, type PasswordSource } from '../src/layers/index.js';
import { removeTempFiles } from '../src/sink.js';
import { escapeControls } from '../src/text.js';
import { finish, out, stdoutErrorReported } from './stdio.js';

export { out } from './stdio.js';

/** On Ctrl-C or a kill, remove half-written output files, then exit 130 (143 for SIGTERM). */
export function cleanUpOnSignals(): void {
  for (const [sig, code] of [['SIGINT', 130], ['SIGTERM', 143]] as const) {
    process.once(sig, () => {
      removeTempFiles();
      void finish(code);
    });
  }
}

/** The inputs to read: the arguments, or stdin (`-`) when there are none and stdin is not a terminal. */
export function inputs(cmd: Command, files: string[]): string[] {
  if (files.length) return files;
  if (process.stdin.isTTY) cmd.error('no input files (give FILE..., or - for stdin)', { exit: EXIT.USAGE });
  return ['-'];
}

/** Print an error on stderr (and as JSON on stdout with --json) and set the exit code. */
export function failed(cmd: Command, e: unknown, json: boolean): never {
  if (!(e instanceof AuditLogError)) throw e;
  if (json) out(JSON.stringify({ error: e.toJSON() }, null, 2));
  if (e.code === 'IO_ERROR' && e.ctx.stage === 'write' && e.ctx.file === '-') stdoutErrorReported();
  process.stderr.write(`Error: ${escapeControls(e.message)}\n`);
  if (e.ctx.suggestion) process.stderr.write(`Try: ${escapeControls(e.ctx.suggestion)}\n`);
  return cmd.exit(e.exitCode);
}

/** `--source-tz`: the zone of local-time logs; `what` says what becomes of their times. */
export function sourceTzFlag(what: string) {
  return Flags.string({ description: `zone of local-time logs (Percona audit_log_filter): IANA name (Europe/Berlin) or +hh:mm; ${what}` });
}

/** Flags that say where the password of encrypted inputs comes from (never a flag value). */
export const passwordFlags = {
  'password-file': Flags.string({ description: 'file whose first line is the password of encrypted (.enc) files', helpGroup: 'ENCRYPTION' }),
  'password-env': Flags.string({ description: 'name of an environment variable holding the password', helpGroup: 'ENCRYPTION' }),
  'password-map': Flags.string({
    description: 'JSON file mapping pwd_id (the 20190414T223342-2 in audit.<ts>.log.20190414T223342-2.enc) or "audit_log" to {"password": "...", "iterations": N}',
    helpGroup: 'ENCRYPTION',
  }),
  iterations: Flags.integer({ description: 'PBKDF2 iterations of the password (Percona); absent: OpenSSL EVP_BytesToKey, SHA-256, one round (MySQL Enterprise)', helpGroup: 'ENCRYPTION' }),
};

/** Ask for a password on the terminal, without echo. */
async function promptPassword(file: string, info: { pwdId?: string }): Promise<string | undefined> {
  if (!process.stdin.isTTY || !process.stderr.isTTY) return undefined;
  const { createInterface } = await import('node:readline');
  const rl = createInterface({ input: process.stdin, output: process.stderr, terminal: true });
  const question = `Password for ${file}${info.pwdId ? ` (pwd_id ${info.pwdId})` : ''}: `;
  let muted = false;
  const rlw = rl as unknown as { _writeToOutput: (s: string) => void; output: NodeJS.WritableStream };
  rlw._writeToOutput = (s: string) => {
    if (!muted) rlw.output.write(s);
  };
  try {
    return await new Promise<string>((resolve) => {
      rl.question(question, (answer) => resolve(answer));
      muted = true;
    });
  } finally {
    process.stderr.write('\n');
    rl.close();
  }
}

/** The password source for the flags above; prompts on a terminal as a last resort. */
export function passwordSource(flags: { 'password-file'?: string; 'password-env'?: string; 'password-map'?: string; iterations?: number }): PasswordSource {
  return createPasswordSource({
    passwordFile: flags['password-file'],
    passwordEnv: flags['password-env'],
    passwordMapFile: flags['password-map'],
    iterations: flags.iterations,
    prompt: promptPassword,
  });
}
