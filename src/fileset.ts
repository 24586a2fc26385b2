/**
 * File-set discovery, as the server does it (spec sections 2.2 and 5): from a
 * directory or the active file's path, the audit log files of one set, in the
 * order their events were written.
 *
 *   const set = await discoverFileSet(['/var/lib/mysql'], { password });
 *   for (const f of set.files) console.log(f.path, f.first);   // oldest first, the active file last
 *   console.log(set.ignored);                                  // other files in the directory
 *
 * Names read (`audit.log` stands for any configured name):
 *  - MySQL 5.7.21+, 8.x, 9.x and Percona `audit_log_filter`:
 *    `basename[.timestamp[-N]].suffix[.gz][[.pwd_id].enc]`, e.g. `audit.log`,
 *    `audit.20190415T151322.log.gz.20190414T223342-2.enc`; without a timestamp
 *    it is the active file;
 *  - MySQL before 5.7.21: `audit.log.<17 digits>[.xml]`;
 *  - Percona `audit_log` plugin: `audit.log.<N>` (`audit.log.1`, `audit.log.01`, `.001`; 1 is the newest).
 * Anything else is ignored (and listed in `ignored`). The files are ordered by
 * the timestamp of their first event, read from each file's first bytes (the
 * active file last); the name's own timestamp and number break ties.
 */
import { readdir, stat } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { detectFormat, SNIFF_BYTES } from './detect.js';
import type { FormatId } from './entry.js';
import { AuditLogError } from './errors.js';
import { ioError, isSpecialFile, openInput, type Input } from './input.js';
import type { PasswordSource } from './layers/index.js';
import { AuditReader, readAuditLog } from './reader.js';

export type NamingScheme = 'mysql' | 'legacy' | 'numbered';

/** What a file name says. */
export interface AuditFileName {
  /** The set it belongs to: the configured name without timestamps or layers (`audit.log`). */
  group: string;
  scheme: NamingScheme;
  /** No rotation mark: the file the server writes to now (or wrote when it stopped or crashed). */
  active: boolean;
  /** The rotation mark, comparable within a scheme: `20190415T151322` (MySQL), 17 digits (legacy), N (numbered). */
  mark?: string;
  /** MySQL `-N` after the timestamp (a second rotation in the same second), or the Percona number. */
  seq?: number;
  compressed: boolean;
  encrypted: boolean;
  pwdId?: string;
}

const MYSQL_RE =
  /^(?<base>[^.]+)(?:\.(?<ts>\d{8}T\d{6})(?:-(?<seq>\d+))?)?\.(?<suffix>[A-Za-z][\w-]*(?:\.[A-Za-z][\w-]*)*?)(?<gz>\.gz)?(?:(?:\.(?<pwd>\d{8}T\d{6}-\d+))?(?<enc>\.enc))?$/;
// Layer suffixes after a legacy or numbered mark: the servers never wrote them, `auditlog rotate` and `convert --out-dir` do.
const LAYERS = '(?<gz>\\.gz)?(?:(?:\\.(?<pwd>\\d{8}T\\d{6}-\\d+))?(?<enc>\\.enc))?';
const LEGACY_RE = new RegExp(`^(?<group>[^.]+(?:\\.[A-Za-z][\\w-]*)+)\\.(?<digits>\\d{17})(?:\\.xml)?${LAYERS}$`);
const NUMBERED_RE = new RegExp(`^(?<group>[^.]+(?:\\.[A-Za-z][\\w-]*)+)\\.(?<n>\\d{1,3})${LAYERS}$`);

/** The layers a name's suffixes say. */
function layersOf(g: Record<string, string | undefined>): Pick<AuditFileName, 'compressed' | 'encrypted' | 'pwdId'> {
  return { compressed: g.gz !== undefined, encrypted: g.enc !== undefined, ...(g.pwd !== undefined ? { pwdId: g.pwd } : {}) };
}

/** Parse an audit log file name, or null when it is not one the server writes. */
export function parseAuditFileName(name: string): AuditFileName | null {
  if (/\.corrupted\./.test(name)) return null;
  let m = LEGACY_RE.exec(name);
  if (m?.groups) return { group: m.groups.group!, scheme: 'legacy', active: false, mark: m.groups.digits!, ...layersOf(m.groups) };
  m = NUMBERED_RE.exec(name);
  if (m?.groups) {
    const n = Number(m.groups.n);
    return { group: m.groups.group!, scheme: 'numbered', active: false, mark: String(n), seq: n, ...layersOf(m.groups) };
  }
  m = MYSQL_RE.exec(name);
  if (!m?.groups) return null;
  const g = m.groups;
  if (g.suffix === 'gz' || g.suffix === 'enc') return null;
  const r: AuditFileName = {
    group: `${g.base}.${g.suffix}`,
    scheme: 'mysql',
    active: g.ts === undefined,
    compressed: g.gz !== undefined,
    encrypted: g.enc !== undefined,
  };
  if (g.ts !== undefined) r.mark = g.ts;
  if (g.seq !== undefined) r.seq = Number(g.seq);
  if (g.pwd !== undefined) r.pwdId = g.pwd;
  return r;
}

/** One file of a set. */
export interface SetFile {
  path: string;
  /** What its name says; null for a file given by the user whose name is none of the server's. */
  name: AuditFileName | null;
  active: boolean;
  /** Format, from its first bytes (null: no record yet, e.g. a file holding only its header). */
  format: FormatId | null;
  /** Timestamp of its first event, or null when it has none. */
  first: string | null;
}

export interface FileSet {
  /** Oldest first; the active file last. */
  files: SetFile[];
  /** Files of the directory that are not audit log files of this set. */
  ignored: string[];
  /** The directory looked in, when one was. */
  dir?: string;
}

export interface DiscoverOptions {
  password?: PasswordSource;
  /** Told about problems found while looking at the files' first bytes. */
  onAuditLogError?: (e: AuditLogError) => void;
}

function usage(detail: string, file?: string): AuditLogError {
  return new AuditLogError('INVALID_OPTION', detail, { stage: 'read', file, recoverable: false });
}

async function isDir(p: string): Promise<boolean | undefined> {
  try {
    return (await stat(p)).isDirectory();
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw ioError(e, p);
  }
}

/**
 * The files to read for a command's arguments: a directory (its set), the
 * active file's path (the set around it, whether the file exists or not), or
 * files listed one by one (read as given, ordered by their first event).
 */
export async function discoverFileSet(args: string[], opts: DiscoverOptions = {}): Promise<FileSet> {
  if (args.length === 1) {
    const p = args[0]!;
    const d = await isDir(p);
    if (d) return dirSet(p, undefined, opts);
    const name = parseAuditFileName(basename(p));
    if (name?.active) return dirSet(dirname(p), name.group, opts);
    if (d === undefined) throw ioError(Object.assign(new Error(`no such file or directory`), { code: 'ENOENT' }), p);
  }
  const files: SetFile[] = [];
  for (const p of args) {
    if ((await isDir(p)) === undefined) throw ioError(Object.assign(new Error('no such file or directory'), { code: 'ENOENT' }), p);
    // A set is read by positions (its files' heads and tails, a bookmark's offset): a pipe has none, and what is read from it is gone.
    if (await isSpecialFile(p))
      throw new AuditLogError('INVALID_OPTION', 'a pipe or device cannot be read as part of a file set: its bytes can be read only once, in order', {
        stage: 'read',
        file: p,
        recoverable: false,
        suggestion: 'give the file or its directory, or read the stream with `auditlog convert` or `auditlog show`',
      });
    const name = parseAuditFileName(basename(p));
    files.push(await probe(p, name, opts));
  }
  return { files: order(files), ignored: [] };
}

async function dirSet(dir: string, group: string | undefined, opts: DiscoverOptions): Promise<FileSet> {
  let names: string[];
  try {
    names = (await readdir(dir, { withFileTypes: true })).filter((d) => d.isFile()).map((d) => d.name);
  } catch (e) {
    throw ioError(e, dir);
  }
  names.sort();
  const byGroup = new Map<string, { path: string; name: AuditFileName }[]>();
  const ignored: string[] = [];
  for (const n of names) {
    const name = parseAuditFileName(n);
    if (!name || (group !== undefined && name.group !== group)) {
      ignored.push(join(dir, n));
      continue;
    }
    let g = byGroup.get(name.group);
    if (!g) byGroup.set(name.group, (g = []));
    g.push({ path: join(dir, n), name });
  }
  // Looked into, as the server does: a name alone does not make an audit log
  // (`error.log`, `notes.txt`). Without a set named, a file that is not one is ignored.
  const probed = new Map<string, SetFile[]>();
  for (const [g, members] of byGroup) {
    const files: SetFile[] = [];
    for (const m of members) {
      try {
        files.push(await probe(m.path, m.name, opts));
      } catch (e) {
        if (group !== undefined || !(e instanceof AuditLogError) || e.code !== 'UNKNOWN_FORMAT') throw e;
        ignored.push(m.path);
      }
    }
    probed.set(g, files);
  }
  let chosen = [...probed.entries()].filter(([, fs]) => fs.some((f) => f.format !== null));
  if (chosen.length === 0 && probed.size === 1) chosen = [...probed.entries()];
  if (chosen.length > 1) {
    const groups = chosen.map(([g]) => g);
    throw usage(`${dir} holds the audit logs of ${groups.length} sets (${groups.join(', ')}): give the active file's path, e.g. ${join(dir, groups[0]!)}`, dir);
  }
  const files = chosen[0]?.[1] ?? [];
  for (const [g, fs] of probed) if (g !== chosen[0]?.[0]) ignored.push(...fs.map((f) => f.path));
  ignored.sort();
  return { files: order(files), ignored, dir };
}

/** Rotated files by their first event (then the name's mark), the active ones last. */
function order(files: SetFile[]): SetFile[] {
  const key = (f: SetFile): [number, string, number] => {
    const n = f.name;
    // Percona numbers count backwards (1 is the newest rotated file).
    const seq = n?.scheme === 'numbered' ? -(n.seq ?? 0) : (n?.seq ?? 0);
    return [f.active ? 1 : 0, f.first ?? n?.mark ?? '', seq];
  };
  return [...files].sort((a, b) => {
    const x = key(a);
    const y = key(b);
    if (x[0] !== y[0]) return x[0] - y[0];
    if (x[1] !== y[1]) return x[1] < y[1] ? -1 : 1;
    if (x[2] !== y[2]) return x[2] - y[2];
    const am = a.name?.mark ?? '';
    const bm = b.name?.mark ?? '';
    return am < bm ? -1 : am > bm ? 1 : 0;
  });
}

/** Bytes of a file's decoded head looked at for its format and first event; more only if its first record is longer. */
const HEAD_BYTES = 64 * 1024;

/** A file's format and first event, from its first bytes. */
async function probe(path: string, name: AuditFileName | null, opts: DiscoverOptions): Promise<SetFile> {
  const f: SetFile = { path, name, active: name?.active ?? false, format: null, first: null };
  const input = await openInput(path, { password: opts.password });
  const head = await headOf(input, HEAD_BYTES);
  const whole = input.size !== undefined ? head.length >= input.size : head.length < HEAD_BYTES;
  if (!/\S/.test(head.toString('latin1'))) return f;
  const format = detectFormat(head, whole || head.length >= SNIFF_BYTES, path);
  f.format = format;
  const engine = new AuditReader({ file: path, keepRaw: false, ...(format ? { format } : {}) });
  const items = [...engine.push(head), ...(whole ? engine.end() : [])];
  const first = items.find((i) => !(i instanceof AuditLogError));
  if (first && !(first instanceof AuditLogError)) f.first = first.event.timestamp ?? null;
  else if (!whole) {
    // A first record longer than the head: read on until it is whole.
    for await (const e of readAuditLog(path, { keepRaw: false, onError: 'skip', password: opts.password })) {
      f.first = e.event.timestamp ?? null;
      break;
    }
  }
  f.format ??= engine.format ?? null;
  return f;
}

/** The first `n` decoded bytes of an input (fewer when it is shorter). */
export async function headOf(input: Input, n: number): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const c of input.slice(0, n)) parts.push(Buffer.from(c));
  return Buffer.concat(parts);
}

/**
 * Expand the arguments of `info` and `convert`: a directory stands for its
 * audit log set, in the order the set is read; files stay as given.
 */
export async function expandInputs(args: string[], opts: DiscoverOptions = {}): Promise<string[]> {
  const out: string[] = [];
  for (const a of args) {
    if (a !== '-' && (await isDir(a))) out.push(...(await discoverFileSet([a], opts)).files.map((f) => f.path));
    else out.push(a);
  }
  return out;
}
