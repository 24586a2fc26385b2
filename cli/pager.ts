/**
 * Where `show` writes its lines: stdout, or `$PAGER` once the output is
 * longer than the terminal (stdout a terminal, paging not turned off). When
 * the reader quits the pager, or a pipe closes (`| head`), `closed` turns true
 * and the command stops reading.
 *
 *   const out = createLineOutput({ page: true, rows: process.stdout.rows });
 *   if (!(await out.write(lines))) break;
 *   await out.end();
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { drained } from '../src/sink.js';

export interface LineOutputOptions {
  /** Page when the output is longer than `rows - 1` lines. */
  page: boolean;
  /** Terminal height. */
  rows: number;
  /** Called before lines are written to the terminal (to clear a progress line). */
  beforeWrite?: () => void;
}

export interface LineOutput {
  /** Write lines; false once nobody reads any more (pager quit, pipe closed). */
  write(lines: string[]): Promise<boolean>;
  /** Write what is held, close the pager and wait for it. */
  end(): Promise<void>;
  /** Whether a pager took over the terminal (stderr notes wait for it to close). */
  readonly paging: boolean;
  readonly closed: boolean;
}

/** The pager command: `$PAGER`, else `less`; none for an empty `$PAGER` or `cat`. */
export function pagerCommand(env: NodeJS.ProcessEnv = process.env): string | undefined {
  const p = env.PAGER === undefined ? 'less' : env.PAGER.trim();
  return p === '' || p === 'cat' ? undefined : p;
}

/** Write, and wait for room when the stream is full; a stream that fails or closes ends the wait (its 'error' handler tells). */
async function writeTo(stream: NodeJS.WritableStream, text: string): Promise<void> {
  if (!stream.write(text)) await drained(stream);
}

export function createLineOutput(opts: LineOutputOptions): LineOutput {
  let held: string[] | undefined = opts.page ? [] : undefined;
  let pager: ChildProcess | undefined;
  let closed = false;
  const stdout = process.stdout;
  stdout.on('error', (e: NodeJS.ErrnoException) => {
    if (e.code === 'EPIPE') closed = true;
    else throw e;
  });

  const startPager = (cmd: string) => {
    // less: quit when it fits (-F), keep colours (-R), leave the text on screen (-X); as git does.
    const env = { ...process.env, LESS: process.env.LESS ?? 'FRX', LV: process.env.LV ?? '-c' };
    pager = spawn(cmd, { shell: true, stdio: ['pipe', 'inherit', 'inherit'], env });
    pager.stdin!.on('error', () => (closed = true));
    pager.on('exit', () => (closed = true));
  };

  const emit = async (lines: string[]) => {
    if (!lines.length || closed) return;
    const text = lines.join('\n') + '\n';
    if (pager) await writeTo(pager.stdin!, text);
    else {
      opts.beforeWrite?.();
      await writeTo(stdout, text);
    }
  };

  return {
    get paging() {
      return pager !== undefined;
    },
    get closed() {
      return closed;
    },
    async write(lines) {
      if (closed) return false;
      if (held) {
        held.push(...lines);
        if (held.length < opts.rows) return true;
        const cmd = pagerCommand();
        if (cmd) startPager(cmd);
        const h = held;
        held = undefined;
        await emit(h);
      } else await emit(lines);
      return !closed;
    },
    async end() {
      if (held) {
        const h = held;
        held = undefined;
        await emit(h);
      }
      if (pager) {
        const exited = pager.exitCode !== null ? Promise.resolve() : once(pager, 'exit');
        pager.stdin!.end();
        await exited;
      } else if (!closed) await new Promise<void>((resolve) => stdout.write('', () => resolve()));
    },
  };
}
