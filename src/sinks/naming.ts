/**
 * Names of a rotated file set, as the servers write them (spec
 * mysql-enterprise-audit.md §2.1-2.2, percona-audit-log.md §4), and the listing
 * of a set's rotated files, oldest first.
 *
 *   const set = setLayout({ dir: '/var/lib/mysql', naming: 'mysql', compress: true });
 *   activeName(set)                                   // 'audit.log.gz'
 *   rotatedName(set, { time: Date.parse('2019-04-15T15:13:22Z') })  // 'audit.20190415T151322.log.gz'
 *   await listRotated(set)                            // [{ name, path, time, seq, size }, ...] oldest first
 *
 * | naming | rotated name | order |
 * |---|---|---|
 * | `mysql` | `audit.20190415T151322.log[.gz][.<pwd_id>.enc]` (UTC; a clash in that second: `audit.20190415T151322-1.log`, as Percona 8.4.9+) | (time, clash number) |
 * | `legacy` | `audit.log.15159344437726520[.gz][...]`: 10 digits of Unix seconds + 7 of fraction (MySQL 5.5-5.7.20) | the number |
 * | `numbered` | `audit.log.1`, `audit.log.01`, `audit.log.001` (digits of `rotations`; `.1` newest, Percona classic) | highest number first |
 *
 * The layer suffixes follow the rotated part as the servers order them: `.gz`,
 * then `.<pwd_id>.enc` (or `.enc` without a pwd_id, the pre-8.0.17 name). A
 * listing takes a set's files whatever their layers, so a plain rotated file
 * still waiting to be compressed belongs to the set too.
 *
 * This parses only the names this module writes, for pruning and numbering;
 * reading any server's set is the business of the file-set discovery.
 */
import { readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { AuditLogError } from '../errors.js';

export type Naming = 'mysql' | 'legacy' | 'numbered';
export const NAMINGS: readonly Naming[] = ['mysql', 'legacy', 'numbered'];

/** Percona's default `audit_log_rotations` is 0 (no rotation); ours for the numbered scheme: two digits. */
export const DEFAULT_ROTATIONS = 99;

export interface SetLayoutOptions {
  dir: string;
  /** The active file's name without layer suffixes. Default `audit.log`. */
  baseName?: string;
  naming?: Naming;
  compress?: boolean;
  encrypt?: boolean;
  /** The password's id in encrypted names (`20190414T223342-2`); absent: plain `.enc`. */
  pwdId?: string;
  /** Numbered scheme: how many rotated files are kept (1..999); the names get as many digits as this number has. Default 99. */
  rotations?: number;
}

export interface SetLayout {
  dir: string;
  baseName: string;
  naming: Naming;
  compress: boolean;
  encrypt: boolean;
  pwdId: string | undefined;
  rotations: number;
}

const PWD_ID_RE = /^\d{8}T\d{6}-\d+$/;

function invalid(detail: string): AuditLogError {
  return new AuditLogError('INVALID_OPTION', detail, { stage: 'write', recoverable: false });
}

/** Check and complete the options of a set. */
export function setLayout(o: SetLayoutOptions): SetLayout {
  const baseName = o.baseName ?? 'audit.log';
  if (baseName === '' || baseName.includes('/') || baseName.startsWith('.')) throw invalid(`base name ${JSON.stringify(baseName)} must be a plain file name`);
  const naming = o.naming ?? 'mysql';
  if (!NAMINGS.includes(naming)) throw invalid(`unknown naming ${JSON.stringify(naming)} (expected one of ${NAMINGS.join(', ')})`);
  const rotations = o.rotations ?? DEFAULT_ROTATIONS;
  if (!Number.isSafeInteger(rotations) || rotations < 1 || rotations > 999) throw invalid(`rotations must be 1..999, got ${rotations}`);
  if (o.pwdId !== undefined && !PWD_ID_RE.test(o.pwdId)) throw invalid(`pwd_id ${JSON.stringify(o.pwdId)} is not YYYYMMDDThhmmss-N`);
  return { dir: o.dir, baseName, naming, compress: o.compress ?? false, encrypt: o.encrypt ?? false, pwdId: o.encrypt ? o.pwdId : undefined, rotations };
}

/** `.gz`, `.<pwd_id>.enc`, both or none: the suffix for the set's layers. */
export function layerSuffix(set: SetLayout, layers: { compress: boolean; encrypt: boolean } = set): string {
  return (layers.compress ? '.gz' : '') + (layers.encrypt ? (set.pwdId ? `.${set.pwdId}.enc` : '.enc') : '');
}

/** The active file's name: `audit.log[.gz][.<pwd_id>.enc]`. */
export function activeName(set: SetLayout): string {
  return set.baseName + layerSuffix(set);
}

/** `YYYYMMDDThhmmss` of a time in ms, in UTC. */
export function compactUtc(ms: number): string {
  return new Date(Math.floor(ms / 1000) * 1000).toISOString().slice(0, 19).replace(/[-:]/g, '');
}

/** `2019-04-15 15:13:22` (a JSON event timestamp, UTC) -> ms; undefined for anything else. */
export function eventTimeMs(ts: string | undefined): number | undefined {
  if (ts === undefined || !/^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d$/.test(ts)) return undefined;
  const ms = Date.parse(`${ts.replace(' ', 'T')}Z`);
  return Number.isNaN(ms) ? undefined : ms;
}

function stemAndExt(baseName: string): [string, string] {
  const dot = baseName.indexOf('.');
  return dot < 0 ? [baseName, ''] : [baseName.slice(0, dot), baseName.slice(dot)];
}

/** Digits of the numbered scheme (1 for rotations 1..9, 2 for 10..99, 3 for 100..999). */
export function numberDigits(set: SetLayout): number {
  return String(set.rotations).length;
}

/**
 * A rotated name. mysql: `time` (ms) and a clash number `seq` (0 = none);
 * legacy: `time` (ms; its seconds are the 10 digits) and `seq` the 7 fraction
 * digits (legacyFraction); numbered: `seq` is the number.
 */
export function rotatedName(set: SetLayout, at: { time?: number; seq?: number }, layers: { compress: boolean; encrypt: boolean } = set): string {
  const suffix = layerSuffix(set, layers);
  switch (set.naming) {
    case 'mysql': {
      const [stem, ext] = stemAndExt(set.baseName);
      const seq = at.seq ?? 0;
      return `${stem}.${compactUtc(at.time ?? 0)}${seq ? `-${seq}` : ''}${ext}${suffix}`;
    }
    case 'legacy': {
      const secs = Math.floor((at.time ?? 0) / 1000);
      return `${set.baseName}.${String(secs).padStart(10, '0')}${String(at.seq ?? 0).padStart(7, '0')}${suffix}`;
    }
    case 'numbered':
      return `${set.baseName}.${String(at.seq ?? 1).padStart(numberDigits(set), '0')}${suffix}`;
  }
}

/** A legacy name's 7 fraction digits for a time in ms (the 10 digits of seconds come from `time`). */
export function legacyFraction(ms: number): number {
  return Math.round((ms - Math.floor(ms / 1000) * 1000) * 10000);
}

export interface RotatedFile {
  name: string;
  path: string;
  /** mysql and legacy: the name's time (ms, UTC, whole seconds); numbered: the file's mtime (ms). */
  time: number;
  /** mysql: the clash number (0 = none); legacy: the 7 fraction digits; numbered: the number. */
  seq: number;
  /** Bytes on disk. */
  size: number;
  /** Layers its name says it has. */
  compress: boolean;
  encrypt: boolean;
}

function escapeRe(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** A RegExp matching the set's rotated names (any layers); groups: ts/number, clash, gz, enc. */
function rotatedRe(set: SetLayout): RegExp {
  const layers = '(\\.gz)?((?:\\.\\d{8}T\\d{6}-\\d+)?\\.enc)?';
  switch (set.naming) {
    case 'mysql': {
      const [stem, ext] = stemAndExt(set.baseName);
      return new RegExp(`^${escapeRe(stem)}\\.(\\d{8}T\\d{6})(?:-(\\d+))?${escapeRe(ext)}${layers}$`);
    }
    case 'legacy':
      return new RegExp(`^${escapeRe(set.baseName)}\\.(\\d{17})()${layers}$`);
    case 'numbered':
      return new RegExp(`^${escapeRe(set.baseName)}\\.(\\d{${numberDigits(set)}})()${layers}$`);
  }
}

/** Whether `name` is one of the set's rotated names (any layers). */
export function isRotatedName(set: SetLayout, name: string): boolean {
  return rotatedRe(set).test(name);
}

/** `20190415T151322` -> ms (UTC). */
function parseCompactUtc(s: string): number {
  return Date.UTC(+s.slice(0, 4), +s.slice(4, 6) - 1, +s.slice(6, 8), +s.slice(9, 11), +s.slice(11, 13), +s.slice(13, 15));
}

/** Order of a set's rotated files: oldest first. */
export function compareRotated(set: SetLayout, a: RotatedFile, b: RotatedFile): number {
  if (set.naming === 'numbered') return b.seq - a.seq;
  return a.time - b.time || a.seq - b.seq;
}

/** The set's rotated files in its directory, oldest first. A missing directory is an empty set. */
export async function listRotated(set: SetLayout): Promise<RotatedFile[]> {
  let names: string[];
  try {
    names = await readdir(set.dir);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw e;
  }
  const re = rotatedRe(set);
  const out: RotatedFile[] = [];
  for (const name of names) {
    const m = re.exec(name);
    if (!m) continue;
    const path = join(set.dir, name);
    let st;
    try {
      st = await stat(path);
    } catch {
      continue; // removed meanwhile
    }
    if (!st.isFile()) continue;
    const n = m[1]!;
    const time = set.naming === 'mysql' ? parseCompactUtc(n) : set.naming === 'legacy' ? Number(n.slice(0, 10)) * 1000 : st.mtimeMs;
    const seq = set.naming === 'numbered' ? Number(n) : set.naming === 'legacy' ? Number(n.slice(10)) : Number(m[2] ?? 0);
    out.push({ name, path, time, seq, size: st.size, compress: m[3] !== undefined, encrypt: m[4] !== undefined });
  }
  return out.sort((a, b) => compareRotated(set, a, b));
}
