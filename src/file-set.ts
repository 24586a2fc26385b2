/**
 * Checks over a set of files read as one log (rotated files, in the order
 * given): gaps in time between consecutive files, overlaps, and files that
 * are the same (the same file given twice, or a copy).
 *
 *   const warnings = await fileSetWarnings(reports);   // [{ kind: 'gap', file, previous, seconds, ... }]
 */
import { createHash } from 'node:crypto';
import { createReadStream, statSync } from 'node:fs';
import type { InfoReport } from './info.js';

/** A pause longer than this between one file's last event and the next file's first is a gap, in seconds. Defaults to 5 minutes. */
export const GAP_SECONDS = 300;

export interface FileSetWarning {
  kind: 'gap' | 'overlap' | 'duplicate';
  file: string;
  /** The earlier file it is compared with. */
  previous: string;
  /** Gap: seconds without events; overlap: seconds the files overlap. */
  seconds?: number;
  message: string;
}

/** Seconds since the epoch of `YYYY-MM-DD hh:mm:ss` (both sides read in the same zone), or undefined. */
function seconds(ts: string | null): number | undefined {
  if (ts === null) return undefined;
  const t = Date.parse(`${ts.slice(0, 10)}T${ts.slice(11, 19)}Z`);
  return Number.isNaN(t) ? undefined : t / 1000;
}

/** `1h 02m 05s`. */
export function formatSeconds(s: number): string {
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const sec = s % 60;
  return h ? `${h}h ${String(m).padStart(2, '0')}m ${String(sec).padStart(2, '0')}s` : m ? `${m}m ${String(sec).padStart(2, '0')}s` : `${sec}s`;
}

async function sha256(path: string): Promise<string> {
  const h = createHash('sha256');
  for await (const c of createReadStream(path)) h.update(c as Buffer);
  return h.digest('hex');
}

/** Whether two inputs are the same file or hold the same bytes (stdin is never compared). */
export async function sameContent(a: string, b: string): Promise<boolean> {
  if (a === '-' || b === '-') return false;
  try {
    const sa = statSync(a);
    const sb = statSync(b);
    if (sa.dev === sb.dev && sa.ino === sb.ino) return true;
    if (sa.size !== sb.size) return false;
    return (await sha256(a)) === (await sha256(b));
  } catch {
    return false;
  }
}

/**
 * Warnings for a set of per-file reports, in the order the files were given.
 * Files are hashed only when their format, record count and time span agree.
 */
export async function fileSetWarnings(reports: InfoReport[], gapSeconds = GAP_SECONDS): Promise<FileSetWarning[]> {
  const out: FileSetWarning[] = [];
  const duplicate = new Set<number>();
  for (let j = 1; j < reports.length; j++) {
    const b = reports[j]!;
    for (let i = 0; i < j; i++) {
      const a = reports[i]!;
      if (duplicate.has(i) || a.format !== b.format || a.records !== b.records || a.first !== b.first || a.last !== b.last) continue;
      if (await sameContent(a.file, b.file)) {
        duplicate.add(j);
        out.push({ kind: 'duplicate', file: b.file, previous: a.file, message: `${b.file} is the same as ${a.file} (its records would be counted twice)` });
        break;
      }
    }
  }
  let prev: InfoReport | undefined;
  for (let j = 0; j < reports.length; j++) {
    const r = reports[j]!;
    if (duplicate.has(j) || r.first === null) continue;
    if (prev) {
      const end = seconds(prev.last);
      const start = seconds(r.first);
      if (end !== undefined && start !== undefined) {
        if (start < end)
          out.push({ kind: 'overlap', file: r.file, previous: prev.file, seconds: end - start, message: `${r.file} starts (${r.first}) before ${prev.file} ends (${prev.last}): ${formatSeconds(end - start)} overlap` });
        else if (start - end > gapSeconds)
          out.push({ kind: 'gap', file: r.file, previous: prev.file, seconds: start - end, message: `no records for ${formatSeconds(start - end)} between ${prev.file} (last ${prev.last}) and ${r.file} (first ${r.first})` });
      }
    }
    prev = r;
  }
  return out;
}
