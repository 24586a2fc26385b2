/**
 * A progress line on stderr, only when stderr is a terminal and the input is
 * large enough for it to matter; otherwise every call is a no-op.
 *
 *   const p = progress(totalBytes); p.update(done); ... p.done();
 */
import { escapeControls } from '../src/text.js';
import { statSync } from 'node:fs';

/** Below this many input bytes no progress is shown. */
const MIN_BYTES = 64 * 1024 * 1024;

export interface Progress {
  update(file: string, bytesInFile: number): void;
  done(): void;
}

/** Total size of the inputs that are regular files (stdin and pipes count as unknown). */
export function inputSize(files: string[]): number | undefined {
  let total = 0;
  for (const f of files) {
    if (f === '-') return undefined;
    try {
      total += statSync(f).size;
    } catch {
      return undefined;
    }
  }
  return total;
}

export function progress(files: string[], stream: Pick<NodeJS.WriteStream, 'isTTY' | 'write'> = process.stderr, minBytes = MIN_BYTES): Progress {
  const total = inputSize(files);
  if (!stream.isTTY || total === undefined || total < minBytes || process.env.CI) return { update() {}, done() {} };
  const sizes = new Map(files.map((f) => [f, statSync(f).size]));
  const before = new Map<string, number>();
  let acc = 0;
  for (const f of files) {
    before.set(f, acc);
    acc += sizes.get(f)!;
  }
  let last = 0;
  let shown = false;
  const mib = (n: number) => (n / 1048576).toFixed(0);
  return {
    update(file, bytesInFile) {
      const now = Date.now();
      if (now - last < 200) return;
      last = now;
      // Behind gzip or AES, bytes read are decoded bytes: cap at the total.
      const done = Math.min(total, (before.get(file) ?? 0) + Math.min(bytesInFile, sizes.get(file) ?? bytesInFile));
      stream.write(`\r${((100 * done) / total).toFixed(0).padStart(3)}%  ${mib(done)} of ${mib(total)} MiB  ${escapeControls(file)}\x1b[K`);
      shown = true;
    },
    done() {
      if (shown) stream.write('\r\x1b[K');
    },
  };
}
