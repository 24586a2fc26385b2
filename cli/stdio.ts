/**
 * How the program writes to stdout and ends: every exit waits until stdout
 * and stderr are flushed (a pipe whose reader is slow gets everything, whatever
 * the exit code); a closed stdout (EPIPE, `| head`) ends the program quietly;
 * any other stdout error (ENOSPC, EIO) is one line on stderr and exit 3.
 *
 *   installStdio(Exit);        // before the commands run (bin/run.js; Exit from @oclif/core/handle)
 *   out(JSON.stringify(report));
 *   await finish(1);           // flushes, then exits 1
 */
import { EXIT } from '../src/errors.js';

/** The first stdout error, once one happened. */
let stdoutFailure: NodeJS.ErrnoException | undefined;
/** Whether the stdout failure was already reported (by the command's error path). */
let reported = false;
let finishing = false;

/** Resolves once everything written to `s` so far was handed to the system (or `s` failed or closed). */
function flushed(s: NodeJS.WriteStream): Promise<void> {
  return new Promise((done) => {
    if (s.destroyed || s.writableLength === 0) return done();
    const end = () => {
      s.off('error', end);
      s.off('close', end);
      done();
    };
    s.once('error', end);
    s.once('close', end);
    try {
      s.write('', end);
    } catch {
      end();
    }
  });
}

function reportStdoutFailure(): void {
  if (reported || !stdoutFailure) return;
  reported = true;
  const e = stdoutFailure;
  try {
    const text = e.code && !e.message.startsWith(e.code) ? `${e.code}: ${e.message}` : e.message;
    process.stderr.write(`Error: -: IO_ERROR: ${text}\n`);
  } catch {
    // stderr is gone too: the exit code says it
  }
}

/**
 * End the program with `code` once stdout and stderr are flushed. A stdout
 * that failed (other than EPIPE) makes the code 3, with one line on stderr.
 * Only the first call counts.
 */
export async function finish(code: number): Promise<void> {
  if (finishing) return;
  finishing = true;
  await flushed(process.stdout);
  // A failed write may not have emitted its 'error' yet (it comes on a later tick): the stream knows already.
  stdoutFailure ??= (process.stdout as { errored?: NodeJS.ErrnoException | null }).errored ?? undefined;
  let exitCode = code;
  if (stdoutFailure && stdoutFailure.code !== 'EPIPE') {
    reportStdoutFailure();
    exitCode = EXIT.INPUT_UNUSABLE;
  }
  await flushed(process.stderr);
  process.exit(exitCode);
}

function onStdoutError(e: NodeJS.ErrnoException): void {
  stdoutFailure ??= e;
  // The reader went away (`| head`): nothing more to say, end quietly.
  if (e.code === 'EPIPE') void finish(typeof process.exitCode === 'number' ? process.exitCode : EXIT.OK);
}

/** Note that a stdout write error was reported by the command itself (one line, not two). */
export function stdoutErrorReported(): void {
  reported = true;
}

/** Whether stdout failed (the reader went away, or a write error). */
export function stdoutFailed(): boolean {
  return stdoutFailure !== undefined;
}

/** oclif's way out (`Exit` of `@oclif/core/handle`): usage errors and `this.exit(n)` end through it. */
export interface OclifExit {
  exit(code?: number): never;
}

/**
 * Make ours the only stdout error listener. oclif adds one when its command
 * module loads (it rethrows every stdout error but EPIPE: a stack trace and
 * exit 1), so this runs again whenever oclif was loaded after installStdio.
 */
export function reclaimStdout(): void {
  process.stdout.removeAllListeners('error');
  process.stdout.on('error', onStdoutError);
}

let stderrGuarded = false;

/**
 * Route every exit through `finish`: stdout errors, and, given oclif's `Exit`,
 * oclif's own exits (usage errors, `this.exit(n)`). Call at startup, after
 * oclif was loaded; the fast path, which loads oclif only to report an error,
 * calls it without `Exit` first and again with it then.
 */
export function installStdio(oclifExit?: OclifExit): void {
  reclaimStdout();
  if (!stderrGuarded) process.stderr.on('error', () => undefined);
  stderrGuarded = true;
  if (oclifExit) oclifExit.exit = ((code = 0) => void finish(code)) as (code?: number) => never;
}

/** Write text (a newline added when missing) to stdout; after a stdout failure, nothing is written. */
export function out(text: string): void {
  if (stdoutFailure) return;
  try {
    process.stdout.write(text.endsWith('\n') ? text : text + '\n');
  } catch (e) {
    // stdout on a file writes synchronously and throws (ENOSPC on /dev/full).
    onStdoutError(e as NodeJS.ErrnoException);
  }
}
