/**
 * The file operations of rotation, shared by the rotating sink and
 * `auditlog rotate`: give a finished file its rotated name without ever
 * replacing an existing file, shift a numbered set, and prune.
 *
 *   const name = await placeRotated(set, '/var/lib/mysql/audit.log', { time: Date.now() });
 *   const removed = await prune(set, { maxSize: 1 << 30, now: Date.now() });
 *
 * Pruning follows the servers (spec mysql-enterprise-audit.md §2.4): with a
 * `maxSize` (rounded down to a multiple of 4096; under 4096 means off) the
 * oldest rotated files go first while the rotated files together exceed it;
 * otherwise, with `pruneSeconds`, every rotated file whose name's time is older
 * than now minus that many seconds goes (numbered names carry no time: their
 * mtime counts). A non-zero `maxSize` takes precedence, as on both servers.
 * The active file is never among the candidates.
 */
import { link, rename, stat, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { AuditLogError } from '../errors.js';
import type { OutputEncryption } from '../layers/index.js';
import { compactUtc, setLayout, legacyFraction, listRotated, rotatedName, type SetLayout, type Naming, type RotatedFile } from './naming.js';

/** How a set is named, layered and pruned: what the rotating sink and `auditlog rotate` share. */
export interface RotationPolicy {
  /** Default `mysql`. */
  naming?: Naming;
  compress?: boolean;
  encrypt?: OutputEncryption;
  /** The password's id for encrypted names (`.<pwd_id>.enc`); absent: `.enc`. */
  pwdId?: string;
  /** After each rotation: remove the oldest rotated files while together they exceed this many bytes (rounded down to 4096). */
  maxSize?: number;
  /** After each rotation (when maxSize is off): remove rotated files older than this many seconds. */
  pruneSeconds?: number;
  /** Numbered scheme: rotated files kept (1..999). Default 99. */
  rotations?: number;
}

/** The file set of `baseName` in `dir` under a policy. */
export function policySet(dir: string, baseName: string | undefined, p: RotationPolicy): SetLayout {
  return setLayout({
    dir,
    ...(baseName !== undefined ? { baseName } : {}),
    ...(p.naming !== undefined ? { naming: p.naming } : {}),
    compress: p.compress ?? false,
    encrypt: p.encrypt !== undefined,
    ...(p.pwdId !== undefined ? { pwdId: p.pwdId } : {}),
    ...(p.rotations !== undefined ? { rotations: p.rotations } : {}),
  });
}

function ioError(e: unknown, file: string): AuditLogError {
  const err = e as NodeJS.ErrnoException;
  return new AuditLogError('IO_ERROR', err.code ? `${err.code}: ${err.message}` : String(err?.message ?? err), { stage: 'write', file, recoverable: false }, { cause: e });
}

async function exists(path: string): Promise<boolean> {
  try {
    await stat(path);
    return true;
  } catch {
    return false;
  }
}

/**
 * Give `from` the name `to` only if `to` does not exist (a hard link, then the
 * old name is removed): never an overwrite. Resolves false when `to` is taken.
 * On a file system without hard links it checks, then renames.
 */
export async function renameNoClobber(from: string, to: string): Promise<boolean> {
  try {
    await link(from, to);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'EEXIST') return false;
    if (code !== 'EPERM' && code !== 'ENOTSUP' && code !== 'EOPNOTSUPP') throw ioError(e, to);
    if (await exists(to)) return false;
    try {
      await rename(from, to);
      return true;
    } catch (e2) {
      throw ioError(e2, to);
    }
  }
  try {
    await unlink(from);
  } catch (e) {
    throw ioError(e, from);
  }
  return true;
}

/** Round a size option down to a multiple of 4096; under 4096 is 0 (off), as the servers do. */
export function blockRound(n: number | undefined): number {
  if (n === undefined || !Number.isFinite(n) || n < 4096) return 0;
  return Math.floor(n / 4096) * 4096;
}

/**
 * Free the name `.1` of a numbered set: the run of numbers 1, 2, ... up to the
 * first gap moves up by one (every layer variant of each), the highest first;
 * when the set is full, number `rotations` is removed first. Safe to repeat
 * after an interruption: the order of the files is kept.
 * @returns the removed files
 */
export async function shiftNumbered(set: SetLayout): Promise<string[]> {
  const files = await listRotated(set);
  const byNumber = new Map<number, RotatedFile[]>();
  for (const f of files) byNumber.set(f.seq, [...(byNumber.get(f.seq) ?? []), f]);
  let gap = 1;
  while (byNumber.has(gap)) gap++;
  const removed: string[] = [];
  if (gap > set.rotations) {
    for (const f of byNumber.get(set.rotations) ?? []) {
      await unlink(f.path).catch((e: unknown) => {
        throw ioError(e, f.path);
      });
      removed.push(f.name);
    }
    gap = set.rotations;
  }
  for (let k = gap - 1; k >= 1; k--) {
    for (const f of byNumber.get(k) ?? []) {
      const to = join(set.dir, rotatedName(set, { seq: k + 1 }, f));
      if (!(await renameNoClobber(f.path, to))) throw ioError(Object.assign(new Error(`${to} exists`), { code: 'EEXIST' }), to);
    }
  }
  return removed;
}

export interface PlaceOptions {
  /** When the file was rotated (ms); the mysql (XML) and legacy names carry it. */
  time: number;
  /** mysql naming of a JSON file: the time of its last event (ms), which the name carries instead. */
  lastEvent?: number;
  /** The layers of the file being placed. Default the set's. */
  layers?: { compress: boolean; encrypt: boolean };
}

/**
 * The set's next rotated name, not taken by any of its files (whatever their
 * layers). mysql: a clash within the same second gets the next `-N` after the
 * highest in use; legacy: the next free fraction; numbered: `.1`, after
 * shifting the set (which may remove the oldest).
 * @returns the name and the files a numbered shift removed
 */
export async function nextRotatedName(set: SetLayout, opts: PlaceOptions): Promise<{ name: string; removed: string[] }> {
  const layers = opts.layers ?? set;
  if (set.naming === 'numbered') {
    const removed = await shiftNumbered(set);
    return { name: rotatedName(set, { seq: 1 }, layers), removed };
  }
  const ms = set.naming === 'mysql' ? (opts.lastEvent ?? opts.time) : opts.time;
  const time = Math.floor(ms / 1000) * 1000;
  const existing = await listRotated(set);
  let seq: number;
  if (set.naming === 'mysql') {
    const same = existing.filter((f) => compactUtc(f.time) === compactUtc(time));
    seq = same.length ? Math.max(...same.map((f) => f.seq)) + 1 : 0;
  } else {
    const taken = existing.filter((f) => f.time === time).map((f) => f.seq);
    seq = legacyFraction(opts.time);
    if (taken.length && seq <= Math.max(...taken)) seq = Math.max(...taken) + 1;
    if (seq > 9_999_999) throw ioError(new Error('more than 10,000,000 rotations in one second'), set.dir);
  }
  return { name: rotatedName(set, { time, seq }, layers), removed: [] };
}

/**
 * Rename the finished file `from` to the set's next rotated name (see
 * nextRotatedName), never replacing a file: a name taken meanwhile means the
 * next one is tried.
 * @returns the new name and the files a numbered shift removed
 */
export async function placeRotated(set: SetLayout, from: string, opts: PlaceOptions): Promise<{ name: string; removed: string[] }> {
  const removed: string[] = [];
  for (let attempt = 0; ; attempt++) {
    const next = await nextRotatedName(set, opts);
    removed.push(...next.removed);
    if (await renameNoClobber(from, join(set.dir, next.name))) return { name: next.name, removed };
    if (attempt >= 100) throw ioError(Object.assign(new Error(`${next.name} exists`), { code: 'EEXIST' }), next.name);
  }
}

export interface PruneOptions {
  /** Most bytes the rotated files may take together (rounded down to 4096; under 4096: off). */
  maxSize?: number;
  /** Remove rotated files older than this many seconds (used when maxSize is off). */
  pruneSeconds?: number;
  /** The current time, ms. */
  now: number;
  /** Names never removed (rotated files not yet finished). */
  keep?: ReadonlySet<string>;
}

/** Which rotated files the servers' rules remove (oldest first), without removing them. */
export function pruneCandidates(files: readonly RotatedFile[], opts: PruneOptions): RotatedFile[] {
  const rotated = files.filter((f) => !opts.keep?.has(f.name));
  const max = blockRound(opts.maxSize);
  const out: RotatedFile[] = [];
  if (max > 0) {
    let total = rotated.reduce((n, f) => n + f.size, 0);
    for (const f of rotated) {
      if (total <= max) break;
      out.push(f);
      total -= f.size;
    }
  } else if (opts.pruneSeconds !== undefined && opts.pruneSeconds > 0) {
    const point = opts.now - opts.pruneSeconds * 1000;
    for (const f of rotated) if (f.time < point) out.push(f);
  }
  return out;
}

/**
 * Remove rotated files by the servers' rules.
 * @returns the names removed, oldest first
 */
export async function prune(set: SetLayout, opts: PruneOptions): Promise<string[]> {
  const removed: string[] = [];
  for (const f of pruneCandidates(await listRotated(set), opts)) {
    try {
      await unlink(f.path);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw ioError(e, f.path);
    }
    removed.push(f.name);
  }
  return removed;
}
