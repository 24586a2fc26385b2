/**
 * Repair: make a crashed or half-written audit log whole again without losing
 * a complete record. Cut back to the end of the last complete record, drop a
 * torn tail and trailing NUL bytes, write the footer the format needs, and
 * for `.gz` / `.enc` / `.gz.enc` write a file of the same kind again.
 *
 *   const report = await repair('audit.log', { output: 'audit.fixed.log' });
 *   const report = await repair('audit.log', { inPlace: true });          // keeps audit.log.bak
 *   const { whole } = await repair('audit.log', { check: true });         // writes nothing
 *
 * A plain file is repaired from its end: the last bytes are read, the last
 * complete record is found there and validated by the format's scanner, and
 * the kept bytes are copied inside the kernel (fs.copyFile), so a file of any
 * size repairs in about the time `cp` takes, and `check` reads a few KiB.
 * Layered files, and `salvage` (which removes malformed records in the middle
 * too), read the whole decoded stream twice: once to plan, once to write.
 * Writes go to a temporary file next to the target that is renamed over it
 * only once complete, after checking that the input did not change meanwhile.
 */
import { constants as fsc } from 'node:fs';
import { chmod, chown, copyFile, link, lstat, open, rename, stat, unlink, type FileHandle } from 'node:fs/promises';
import type { BigIntStats } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { SNIFF_BYTES, detectFormat } from '../detect.js';
import type { FormatId } from '../entry.js';
import { AuditLogError } from '../errors.js';
import { GZIP_MAGIC, SALTED_MAGIC, openLayers, wrapLayers, type LayerDetail, type PasswordSource } from '../layers/index.js';
import { AuditReader, createScanner, readBytes } from '../reader.js';
import type { ScanItem } from '../scanners/scanner.js';
import { syncDir, tempPathFor, trackTemp, writeChunks, writeStream } from '../sink.js';
import { LISTED_MAX, TailTracker, framingOf, planRepair, recordIndent, recordStarts, type Framing, type RemovedRecord, type RepairPlan } from './plan.js';

export { framingOf, planRepair, recordStarts, TailTracker, XML_HEADER } from './plan.js';
export type { Framing, PlanContext, RemovedRecord, RepairPlan } from './plan.js';

export interface RepairOptions {
  /** Write the repaired file here (atomically, mode 0600). `-` or absent (and not inPlace): to `stdout`. */
  output?: string;
  /** Replace the input (atomically, keeping its mode), after keeping it as `FILE.bak` unless `backup` is false. */
  inPlace?: boolean;
  /** With inPlace: keep the original as `FILE.bak` (a hard link: no copy). Defaults to true. */
  backup?: boolean;
  /** Report what would be done; write nothing. */
  dryRun?: boolean;
  /** Only say whether the file needs repair; write nothing. */
  check?: boolean;
  /** Also remove malformed records and stray text in the middle (reads the whole file). */
  salvage?: boolean;
  /** Password of an encrypted input. */
  password?: PasswordSource;
  /** Where the repaired bytes go without `output` or `inPlace`. Defaults to process.stdout. */
  stdout?: NodeJS.WritableStream;
  /** First window read from the end of a plain file, in bytes. Defaults to 1 MiB. */
  tailWindow?: number;
  /**
   * Called once the repaired file is written (and synced) under its temporary
   * name, right before the input is checked and the file committed.
   */
  beforeCommit?: () => void | Promise<void>;
}

/** One input layer as reported (no password). */
export interface LayerReport {
  layer: LayerDetail['layer'];
  kdf?: 'pbkdf2' | 'evp-bytes-to-key';
  iterations?: number;
}

/** A problem as reported. */
export interface ProblemReport {
  code: string;
  message: string;
  offset?: number;
  end?: number;
  index?: number;
}

export interface RepairReport {
  file: string;
  format: FormatId;
  /** How the format's files end: `xml` (`</AUDIT>`), `json-array` (`]`), `lines`. */
  framing: Framing;
  /** Input layers, outermost first. */
  layers: LayerReport[];
  /** `tail`: read from the end (plain files); `full`: the whole decoded stream was read. */
  method: 'tail' | 'full';
  /** True when the file needed no change. */
  whole: boolean;
  /** Size of the file on disk. */
  fileBytes: number;
  /** Length of the decoded stream (under the layers), NUL tail included. */
  bytes: number;
  /** Bytes handed to a scanner. */
  bytesParsed: number;
  /** Complete records in the repaired file; null when not counted (a plain file repaired from its end). */
  recordsKept: number | null;
  /** The last record kept (decoded byte range; its record number, or null when not counted). */
  lastRecord: { offset: number; end: number; index: number | null } | null;
  /** What the repair cuts at the end; null when nothing. */
  cut: {
    /** Decoded offset of the cut: bytes from here on go. */
    offset: number;
    /** Bytes cut (the NUL tail included). */
    bytes: number;
    /** Of which trailing NUL bytes. */
    nulBytes: number;
    /** Record number of the first record cut away (or of the next one); null when not counted. */
    index: number | null;
    /** What is in the cut part: the torn last record, stray text. */
    problems: ProblemReport[];
  } | null;
  /** Header written before the kept bytes (a torn or missing XML header); null when none. */
  headerAdded: string | null;
  /** Footer written after the kept bytes; null when none. */
  footerAdded: string | null;
  /** Salvage: records and stray text removed from the middle (the first 1000, with their text), and how many. */
  salvaged: RemovedRecord[];
  salvagedCount: number;
  /** Without salvage: malformed records or stray text seen before the cut and left in place. */
  problemsLeft: number;
  /** Input layers cut short or damaged (what they held was recovered). */
  layerProblems: ProblemReport[];
  /** Where the repaired file went (`-` for stdout); null when nothing was written. */
  output: string | null;
  /** The backup of the original; null when none was made. */
  backup: string | null;
}

const MIB = 1 << 20;
/** Past this, a plain file's tail is not searched further back: the whole file is read from its start. */
const MAX_TAIL_WINDOW = 64 * MIB;
/** Text kept of each removed record in the report. */
const RAW_MAX = 64 * 1024;

function invalid(detail: string, file?: string): AuditLogError {
  return new AuditLogError('INVALID_OPTION', detail, { stage: 'read', file, recoverable: false });
}

function ioError(e: unknown, file: string, stage: 'read' | 'write' = 'read'): AuditLogError {
  if (e instanceof AuditLogError) return e;
  const err = e as NodeJS.ErrnoException;
  return new AuditLogError('IO_ERROR', err.code ? `${err.code}: ${err.message}` : String(err.message ?? err), { stage, file, recoverable: false }, { cause: e });
}

function problemOf(e: AuditLogError): ProblemReport {
  const p: ProblemReport = { code: e.code, message: e.detail };
  for (const k of ['offset', 'end', 'index'] as const) if (e.ctx[k] !== undefined) p[k] = e.ctx[k];
  return p;
}

/** Without an exact count (a scan from the middle), record numbers are relative: leave them out. */
function relativeless(p: ProblemReport, exact: boolean): ProblemReport {
  if (!exact) delete p.index;
  return p;
}

/** What the analysis of the input found. */
interface Analysis {
  format: FormatId;
  framing: Framing;
  method: 'tail' | 'full';
  layers: LayerDetail[];
  layerProblems: AuditLogError[];
  tracker: TailTracker;
  plan: RepairPlan;
  length: number;
  contentEnd: number;
  bytesParsed: number;
  exact: boolean;
}

/** The bytes of an input as repair reads them: by range (from the end) or from the start as a stream. */
interface Input {
  readonly name: string;
  readonly size: number;
  read(start: number, end: number): Promise<Buffer>;
  stream(): AsyncIterable<Uint8Array>;
}

function fileInput(name: string, fh: FileHandle, size: number): Input {
  return {
    name,
    size,
    async read(start, end) {
      const buf = Buffer.allocUnsafe(end - start);
      let off = 0;
      while (off < buf.length) {
        const { bytesRead } = await fh.read(buf, off, buf.length - off, start + off);
        if (bytesRead === 0) break;
        off += bytesRead;
      }
      return buf.subarray(0, off);
    },
    stream: () => readBytes(name, name),
  };
}

function bufferInput(name: string, bytes: Uint8Array): Input {
  const b = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  return {
    name,
    size: b.length,
    read: async (start, end) => b.subarray(start, end),
    async *stream() {
      for (let i = 0; i < b.length; i += MIB) yield b.subarray(i, i + MIB);
    },
  };
}

/** Offset where the trailing run of NUL bytes of an input starts (its size when there is none). */
async function nulTailStart(src: Input): Promise<number> {
  let end = src.size;
  while (end > 0) {
    const start = Math.max(0, end - MIB);
    const b = await src.read(start, end);
    let i = b.length;
    while (i > 0 && b[i - 1] === 0) i--;
    if (i > 0) return start + i;
    end = start;
  }
  return 0;
}

function isLayered(head: Buffer, size: number): boolean {
  const starts = (m: Buffer) => (head.length >= m.length ? head.subarray(0, m.length).equals(m) : size === head.length && head.length > 0 && m.subarray(0, head.length).equals(head));
  return starts(SALTED_MAGIC) || starts(GZIP_MAGIC);
}

/** Scan `buf` (decoded offset `start`) from each candidate record start, last ones first, until one validates. */
function scanTail(buf: Buffer, start: number, format: FormatId, framing: Framing, indent: number | undefined, file: string): { tracker: TailTracker; complete: boolean | null; parsed: number } | undefined {
  let cands = recordStarts(buf, framing, format, false, indent);
  if (cands.length === 0 && indent !== undefined) cands = recordStarts(buf, framing, format, false);
  let parsed = 0;
  // From the second-to-last candidate on, so that the last complete record is
  // normally confirmed by the one before it; further back while a start does
  // not validate (the scan must begin with a complete record at that very byte).
  for (let k = 2; ; k *= 2) {
    const i = Math.max(0, cands.length - k);
    const c = cands[i];
    if (c === undefined) return undefined;
    const s = createScanner(format, { file, keepRaw: true });
    const items: ScanItem[] = [...s.push(buf.subarray(c)), ...s.end()];
    parsed += buf.length - c;
    const first = items[0];
    if (first !== undefined && !(first instanceof AuditLogError) && first.at.offset === 0) {
      const tracker = new TailTracker(false);
      tracker.add(items, start + c);
      return { tracker, complete: s.complete, parsed };
    }
    if (i === 0) return undefined;
  }
}

/** Plain file, no salvage: find the cut from the end. Falls back to a full read when the tail holds no record. */
async function analyseTail(src: Input, opts: RepairOptions): Promise<Analysis> {
  const file = src.name;
  const size = src.size;
  const contentEnd = await nulTailStart(src);
  const head = await src.read(0, Math.min(SNIFF_BYTES, contentEnd));
  const format = detectFormat(head, contentEnd <= SNIFF_BYTES, file)!;
  const framing = framingOf(format, head);
  const indent = recordIndent(head, format);
  let bytesParsed = 0;
  for (let window = opts.tailWindow ?? MIB; ; window *= 4) {
    const start = Math.max(0, contentEnd - window);
    if (start === 0) break;
    if (window > MAX_TAIL_WINDOW) break;
    const buf = await src.read(start, contentEnd);
    const r = scanTail(buf, start, format, framing, indent, file);
    if (r) {
      bytesParsed += r.parsed;
      const plan = planRepair(r.tracker, { framing, head, contentEnd, length: size, complete: r.complete, exact: false, endsWithLf: buf[buf.length - 1] === 0x0a });
      return { format, framing, method: 'tail', layers: [], layerProblems: [], tracker: r.tracker, plan, length: size, contentEnd, bytesParsed, exact: false };
    }
    bytesParsed += buf.length;
  }
  const a = await analyseStream(file, src.stream(), opts, format);
  a.bytesParsed += bytesParsed;
  return a;
}

/**
 * Read the decoded stream from its start (layered files, salvage, or a plain
 * file whose tail holds no record). Trailing NUL bytes are held back (counted,
 * not pushed), so the scanner sees the content up to them.
 */
async function analyseStream(file: string, src: AsyncIterable<Uint8Array>, opts: RepairOptions, format?: FormatId): Promise<Analysis> {
  const layerProblems: AuditLogError[] = [];
  let layers: LayerDetail[] = [];
  let stream = src;
  if (format === undefined) {
    const opened = await openLayers(src, { file, password: opts.password, onNotice: (e) => layerProblems.push(e) });
    layers = opened.details;
    stream = opened.stream;
  }
  const engine = new AuditReader({ file, keepRaw: true, ...(format ? { format } : {}) });
  const tracker = new TailTracker(opts.salvage === true);
  const headParts: Buffer[] = [];
  let headLen = 0;
  let pushed = 0;
  let nuls = 0;
  let lastByte = -1;
  const push = (b: Uint8Array) => {
    if (headLen < SNIFF_BYTES) {
      const part = Buffer.from(b.subarray(0, SNIFF_BYTES - headLen));
      headParts.push(part);
      headLen += part.length;
    }
    pushed += b.length;
    lastByte = b[b.length - 1]!;
    for (let i = 0; i < b.length; i += MIB) tracker.add(engine.push(b.subarray(i, i + MIB)), 0);
  };
  for await (const chunk of stream) {
    let e = chunk.length;
    while (e > 0 && chunk[e - 1] === 0) e--;
    if (e === 0) {
      nuls += chunk.length;
      continue;
    }
    if (nuls > 0) {
      // NUL bytes followed by more content are content (stray text) after all.
      const zeros = Buffer.alloc(Math.min(nuls, MIB));
      for (let left = nuls; left > 0; left -= zeros.length) push(zeros.subarray(0, Math.min(left, zeros.length)));
    }
    push(chunk.subarray(0, e));
    nuls = chunk.length - e;
  }
  tracker.add(engine.end(), 0);
  const fmt = engine.format;
  if (fmt === undefined) {
    throw new AuditLogError('UNKNOWN_FORMAT', pushed === 0 ? 'not an audit log: there is no data (under the layers)' : 'not an audit log: nothing but blanks', { stage: 'frame', file, offset: 0, recoverable: false });
  }
  const head = Buffer.concat(headParts);
  const framing = framingOf(fmt, head);
  const contentEnd = pushed;
  const length = pushed + nuls;
  const plan = planRepair(tracker, { framing, head, contentEnd, length, complete: engine.complete, exact: true, endsWithLf: lastByte === 0x0a, layerDamaged: layerProblems.length > 0 });
  return { format: fmt, framing, method: 'full', layers, layerProblems, tracker, plan, length, contentEnd, bytesParsed: pushed, exact: true };
}

/**
 * The repaired decoded bytes: the plan's prefix, the input's bytes up to the
 * cut without the dropped ranges, then the footer. The text of dropped ranges
 * is handed to `capture` (first RAW_MAX bytes of each, for the first LISTED_MAX).
 */
async function* repairedBytes(src: AsyncIterable<Uint8Array>, plan: RepairPlan, capture?: (i: number, text: Buffer) => void): AsyncGenerator<Uint8Array> {
  if (plan.prefix.length) yield plan.prefix;
  const drops = plan.drops;
  let d = 0; // next drop range (index into pairs)
  let pos = 0;
  for await (const chunk of src) {
    const end = pos + chunk.length;
    let p = pos;
    while (p < end && p < plan.cut) {
      const ds = d < drops.length ? drops[d]! : Infinity;
      const de = d < drops.length ? drops[d + 1]! : Infinity;
      if (p >= ds) {
        const upto = Math.min(de, end);
        if (capture && d / 2 < LISTED_MAX && p - ds < RAW_MAX) capture(d / 2, Buffer.from(chunk.subarray(p - pos, Math.min(upto, ds + RAW_MAX) - pos)));
        p = upto;
        if (p >= de) d += 2;
        continue;
      }
      const upto = Math.min(ds, end, plan.cut);
      yield chunk.subarray(p - pos, upto - pos);
      p = upto;
    }
    pos = end;
    if (pos >= plan.cut) break;
  }
  if (plan.footer.length) yield plan.footer;
}

/** The decoded stream of the input, again (with the password that opened it the first time). */
async function decodedAgain(input: Input, layers: LayerDetail[]): Promise<AsyncIterable<Uint8Array>> {
  const src = input.stream();
  const file = input.name;
  if (layers.length === 0) return src;
  const aes = layers.filter((l) => l.layer === 'aes-256-cbc');
  let k = 0;
  const password: PasswordSource = {
    get: async () => {
      const d = aes[k++]!;
      return d.iterations === undefined ? { password: d.password } : { password: d.password, iterations: d.iterations };
    },
  };
  return (await openLayers(src, { file, password })).stream;
}

function sameFile(a: BigIntStats, b: BigIntStats): boolean {
  return a.dev === b.dev && a.ino === b.ino && a.size === b.size && a.mtimeNs === b.mtimeNs && a.ctimeNs === b.ctimeNs;
}

/**
 * Write the target through a temporary file next to it: `write` fills the
 * temporary file; then its mode is set, the input is checked unchanged, the
 * backup link is made, and the temporary file is renamed over the target.
 */
async function commit(
  target: string,
  write: (tmp: string) => Promise<void>,
  o: { file: string; st0: BigIntStats; mode: number; owner?: { uid: number; gid: number }; backup?: string; beforeCommit?: () => void | Promise<void> },
): Promise<void> {
  const tmp = tempPathFor(target);
  const untrack = trackTemp(tmp);
  try {
    await write(tmp);
    await chmod(tmp, o.mode);
    if (o.owner) await chown(tmp, o.owner.uid, o.owner.gid).catch(() => undefined);
    await o.beforeCommit?.();
    const st1 = await stat(o.file, { bigint: true });
    if (!sameFile(o.st0, st1)) {
      throw new AuditLogError('INPUT_CHANGED', `the file changed while it was being repaired (size ${o.st0.size} -> ${st1.size}): nothing was written`, {
        stage: 'write',
        file: o.file,
        recoverable: false,
        suggestion: 'stop the server (or let it rotate the file) before repairing it',
      });
    }
    if (o.backup) await link(o.file, o.backup);
    await rename(tmp, target);
    await syncDir(dirname(target));
  } catch (e) {
    await unlink(tmp).catch(() => undefined);
    throw ioError(e, target, 'write');
  } finally {
    untrack();
  }
}

/** Kernel copy of the input's first `cut` bytes, then the footer: the fast path for plain files. */
async function copyCut(file: string, tmp: string, plan: RepairPlan): Promise<void> {
  await copyFile(file, tmp, fsc.COPYFILE_EXCL);
  const fh = await open(tmp, 'r+');
  try {
    await fh.truncate(plan.cut);
    if (plan.footer.length) await fh.write(plan.footer, 0, plan.footer.length, plan.cut);
    await fh.sync();
  } finally {
    await fh.close();
  }
}

async function writeStreamed(tmp: string, chunks: AsyncIterable<Uint8Array>, mode: number): Promise<void> {
  const fh = await open(tmp, 'wx', mode);
  try {
    await writeChunks(fh, chunks);
    await fh.sync();
  } finally {
    await fh.close();
  }
}

/** Refuse an output path that is the input, or that is not a regular file (device, FIFO, directory, symlink). */
async function checkOutput(output: string, file: string, st0: BigIntStats): Promise<void> {
  if (resolve(output) === resolve(file)) throw invalid('the output is the input: use --in-place to repair a file in place', output);
  const st = await lstat(output, { bigint: true }).catch(() => undefined);
  if (!st) return;
  if (st.dev === st0.dev && st.ino === st0.ino) throw invalid('the output is the input (another name for it): use --in-place to repair a file in place', output);
  if (!st.isFile()) throw invalid(`the output exists and is not a regular file (${st.isSymbolicLink() ? 'a symbolic link' : 'a device, FIFO or directory'}): refusing to replace it`, output);
}

/** Analyse an input: plain and not salvaging, from its end; otherwise its whole decoded stream. */
async function analyse(src: Input, opts: RepairOptions): Promise<Analysis> {
  const head = await src.read(0, Math.min(16, src.size));
  if (isLayered(head, src.size) || opts.salvage) return analyseStream(src.name, src.stream(), opts);
  return analyseTail(src, opts);
}

function reportOf(a: Analysis, file: string, size: number): RepairReport {
  const { plan, tracker } = a;
  return {
    file,
    format: a.format,
    framing: a.framing,
    layers: a.layers.map((l) => (l.layer === 'gzip' ? { layer: 'gzip' } : { layer: l.layer, kdf: l.kdf, ...(l.iterations !== undefined ? { iterations: l.iterations } : {}) })),
    method: a.method,
    whole: plan.whole,
    fileBytes: size,
    bytes: a.length,
    bytesParsed: a.bytesParsed,
    recordsKept: a.exact ? tracker.records : null,
    lastRecord: plan.last ? { offset: plan.last.offset, end: plan.last.end, index: a.exact ? plan.last.index : null } : null,
    cut:
      plan.whole || plan.cut >= a.length
        ? null
        : { offset: plan.cut, bytes: a.length - plan.cut, nulBytes: a.length - a.contentEnd, index: plan.cutIndex, problems: plan.cutProblems.map((e) => relativeless(problemOf(e), a.exact)) },
    headerAdded: plan.prefix.length ? plan.prefix.toString('utf8') : null,
    footerAdded: plan.footer.length ? plan.footer.toString('utf8') : null,
    salvaged: tracker.removed.map((r) => ({ ...r })),
    salvagedCount: tracker.removedCount,
    problemsLeft: tracker.keptProblems,
    layerProblems: a.layerProblems.map(problemOf),
    output: null,
    backup: null,
  };
}

/**
 * The repaired file's bytes (under the same layers as the input), read again
 * from the input; the text of what salvage removes goes into the report.
 */
async function repairedFile(src: Input, a: Analysis, report: RepairReport): Promise<AsyncIterable<Uint8Array>> {
  if (a.plan.whole) return src.stream();
  const capture = (i: number, text: Buffer) => {
    const r = report.salvaged[i];
    if (r) r.raw = (r.raw ?? '') + text.toString('utf8');
  };
  const plain = repairedBytes(await decodedAgain(src, a.layers), a.plan, capture);
  return a.layers.length ? wrapLayers(plain, a.layers) : plain;
}

/**
 * Repair an audit log held in memory (plain or layered). The result is the
 * repaired file's bytes (the input itself when it is whole).
 * @param bytes the file's bytes
 * @param opts salvage, password, tailWindow (the rest is for files)
 * @param name file name for errors and the password lookup
 */
export async function repairBuffer(bytes: Uint8Array, opts: Pick<RepairOptions, 'salvage' | 'password' | 'tailWindow'> = {}, name = '-'): Promise<{ bytes: Buffer; report: RepairReport }> {
  const src = bufferInput(name, bytes);
  const a = await analyse(src, opts);
  const report = reportOf(a, name, src.size);
  const parts: Buffer[] = [];
  for await (const c of await repairedFile(src, a, report)) parts.push(Buffer.from(c));
  return { bytes: Buffer.concat(parts), report };
}

/**
 * Repair one audit log file.
 * @param file path of the log (plain, `.gz`, `.enc` or `.gz.enc`; detected from content)
 * @param opts where the result goes and how far to go
 * @returns what was found and done
 * @throws AuditLogError UNKNOWN_FORMAT (not an audit log), INPUT_CHANGED (the file changed meanwhile),
 *   DECRYPT_FAILED / MISSING_PASSWORD, IO_ERROR, INVALID_OPTION
 */
export async function repair(file: string, opts: RepairOptions = {}): Promise<RepairReport> {
  if (file === '-') throw invalid('repair needs a file, not stdin (it reads the file from its end, and twice when layered)');
  if (opts.inPlace && opts.output !== undefined) throw invalid('give either -o OUT or --in-place, not both');
  if (opts.backup === false && !opts.inPlace) throw invalid('--no-backup goes with --in-place');
  const st0 = await lstat(file, { bigint: true }).catch((e) => {
    throw ioError(e, file);
  });
  if (st0.isSymbolicLink() && opts.inPlace) throw invalid('the file is a symbolic link: repair the file it points to', file);
  const st = st0.isSymbolicLink() ? await stat(file, { bigint: true }) : st0;
  if (!st.isFile()) throw invalid('not a regular file', file);
  const output = opts.inPlace ? file : opts.output === '-' ? undefined : opts.output;
  if (output !== undefined && !opts.inPlace) await checkOutput(output, file, st);
  const backup = opts.inPlace && opts.backup !== false ? `${file}.bak` : undefined;
  const backupFree = async () => {
    if (backup && (await lstat(backup).catch(() => undefined))) {
      throw new AuditLogError('IO_ERROR', `the backup ${backup} already exists: move it away, or repair with --no-backup`, { stage: 'write', file, recoverable: false });
    }
  };

  const size = Number(st.size);
  const fh = await open(file, 'r').catch((e) => {
    throw ioError(e, file);
  });
  try {
    const src = fileInput(file, fh, size);
    const a = await analyse(src, opts);
    const report = reportOf(a, file, size);
    const { plan } = a;
    if (opts.check || (plan.whole && opts.inPlace)) return report;
    await backupFree();
    if (opts.dryRun) {
      // Salvage: read back the text of what would be removed.
      if (report.salvaged.length) for await (const _ of await repairedFile(src, a, report)) void _;
      return report;
    }
    if (output === undefined) {
      await writeStream(opts.stdout ?? process.stdout, await repairedFile(src, a, report));
      report.output = '-';
      return report;
    }
    const fast = plan.whole || (a.layers.length === 0 && plan.prefix.length === 0 && plan.drops.length === 0);
    const mode = opts.inPlace ? Number(st.mode & 0o7777n) : 0o600;
    await commit(output, async (tmp) => (fast ? copyCut(file, tmp, plan.whole ? { ...plan, cut: size } : plan) : writeStreamed(tmp, await repairedFile(src, a, report), mode)), {
      file,
      st0: st,
      mode,
      ...(opts.inPlace && process.getuid?.() === 0 ? { owner: { uid: Number(st.uid), gid: Number(st.gid) } } : {}),
      ...(backup ? { backup } : {}),
      ...(opts.beforeCommit ? { beforeCommit: opts.beforeCommit } : {}),
    });
    report.output = output;
    report.backup = backup ?? null;
    return report;
  } finally {
    await fh.close();
  }
}
