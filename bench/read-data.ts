/**
 * Inputs of the `read` benchmarks, generated from a seed: one large plain
 * MySQL Enterprise JSON file, and the same kind of events as a rotated set
 * (`audit.<last event>.log` files of a given size, then the active
 * `audit.log`, unterminated), with the server's per-second ids across files.
 *
 *   writeRotatedSet('bench/.data/set', { bytes: 1 << 30, fileBytes: 64 << 20, seed: 7 });
 */
import { closeSync, existsSync, mkdirSync, openSync, renameSync, rmSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { generateRecords, renderRecord } from './generate.js';

/** Write a rotated set into `dir` (replaced if it exists); returns the file names, oldest first. */
export function writeRotatedSet(dir: string, opts: { bytes: number; fileBytes: number; seed: number }): string[] {
  if (existsSync(dir)) rmSync(dir, { recursive: true });
  mkdirSync(dir, { recursive: true });
  const names: string[] = [];
  let fd = -1;
  let size = 0;
  let inFile = 0;
  let total = 0;
  let buf = '';
  let lastTs = '';
  let id = 0;
  const flush = () => {
    if (buf) size += writeSync(fd, buf);
    buf = '';
  };
  const open = () => {
    fd = openSync(join(dir, 'audit.log'), 'w');
    size = 0;
    inFile = 0;
    buf = '[\n';
  };
  open();
  for (const g of generateRecords({ seed: opts.seed })) {
    id = g.ts === lastTs ? id + 1 : 0;
    lastTs = g.ts;
    buf += (inFile++ ? ',\n' : '') + renderRecord('json', g, inFile, g.ts, id);
    if (buf.length > 1 << 20) flush();
    if (size + buf.length >= opts.fileBytes) {
      buf += '\n]\n';
      flush();
      total += size;
      closeSync(fd);
      // Rotated name: the timestamp of the last event written (MySQL, JSON format).
      const name = `audit.${g.ts.replace(/[-:]/g, '').replace(' ', 'T')}.log`;
      renameSync(join(dir, 'audit.log'), join(dir, name));
      names.push(name);
      if (total >= opts.bytes) break;
      open();
    }
  }
  // The active file: open, a few events, no footer.
  if (fd >= 0 && total >= opts.bytes) {
    open();
    for (const g of generateRecords({ seed: opts.seed + 1, records: 1000 })) buf += (inFile++ ? ',\n' : '') + renderRecord('json', { ...g, ts: lastTs }, inFile, lastTs, ++id);
    flush();
    closeSync(fd);
    names.push('audit.log');
  }
  return names;
}
