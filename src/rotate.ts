/**
 * Rotation of a live server's audit log, for cron: rename, tell the server,
 * finish (footer, compress, encrypt), prune. Core of `auditlog rotate`.
 *
 *   const report = await rotateLog({ file: '/var/lib/mysql/audit.log', rotateOnSize: 1 << 30, compress: true,
 *                                    postRotate: 'mysql -e "SET GLOBAL audit_log_flush=ON"' });
 *   // report.renamed, report.written, report.pruned
 *
 * One run:
 *  1. takes the lock file `.<name>.rotate.lock` beside the log (an overlapping run
 *     finds it held and does nothing; a lock left by a killed run is taken over);
 *  2. completes what an interrupted run left: a rename half done, a hook not
 *     run, a rotated file not yet finished, temporary files;
 *  3. finishes the rotated files that are ready: those whose hook ran, and,
 *     without a hook, those renamed by an earlier run (the server may have
 *     written to the renamed file until then, as logrotate's `delaycompress`
 *     assumes). Finishing = the footer if the file was left unterminated (cut
 *     back to its last complete record, as repair does), then `.gz` and/or
 *     `.<pwd_id>.enc` written beside it atomically, then the plain file removed;
 *  4. renames the log to the scheme's name if it is over `rotateOnSize` (or
 *     always without it). A rename keeps the file: the server goes on writing
 *     the same file under its new name until it reopens, so no event is ever
 *     lost or written twice, unlike copy-then-truncate;
 *  5. runs `postRotate` (sh -c, with AUDITLOG_FILE and AUDITLOG_ROTATED set) so
 *     the server reopens its log, then finishes the file just rotated;
 *  6. prunes the set by `maxSize` / `pruneSeconds`; unfinished files are kept.
 * Every step is recorded first in the journal `.<name>.rotate.json` (versioned
 * JSON, written atomically), so a run killed at any moment is completed by the next.
 */
import { spawn } from 'node:child_process';
import { open, readdir, readFile, stat, unlink } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { AuditLogError } from './errors.js';
import { wrapOutput } from './layers/index.js';
import { readAuditLog, readBytes } from './reader.js';
import { writeAtomic } from './sink.js';
import { eventTimeMs, isRotatedName, layerSuffix, listRotated, rotatedName, type SetLayout } from './sinks/naming.js';
import { blockRound, nextRotatedName, policySet, prune, pruneCandidates, renameNoClobber, type RotationPolicy } from './sinks/rotation.js';

export interface RotateOptions extends RotationPolicy {
  /** The server's active log file. */
  file: string;
  /** Rotate only when the file is over this many bytes (rounded down to 4096; under 4096: never). Absent: always. */
  rotateOnSize?: number;
  /** Shell command run after the rename, so the server reopens its log. */
  postRotate?: string;
  /** Report what would be done, change nothing. */
  dryRun?: boolean;
  /** The clock, ms. Default Date.now. */
  now?: () => number;
}

export interface RotateReport {
  file: string;
  dryRun: boolean;
  /** Another run held the lock: nothing was done. */
  locked: boolean;
  /** Why the log was or was not renamed this run. */
  reason: 'always' | 'over-size' | 'under-size' | 'empty' | 'missing' | 'locked';
  /** Renames: the log to its rotated name (and the interrupted one completed). */
  renamed: { from: string; to: string }[];
  /** The post-rotate command and its exit code, when it ran. */
  hook: { command: string; exitCode: number }[];
  /** Rotated files that got their footer (they were left unterminated). */
  terminated: string[];
  /** Files written (compressed and/or encrypted rotated files). */
  written: string[];
  /** Files removed by pruning (and by a numbered shift past `rotations`). */
  pruned: string[];
  /** Rotated files waiting for a later run to be finished. */
  pending: string[];
  /** Leftovers of an interrupted run that were completed or removed. */
  recovered: string[];
}

interface Pending {
  /** The rotated (plain) name. */
  name: string;
  /** `renaming`: recorded before the rename; `renamed`: done. */
  state: 'renaming' | 'renamed';
  hook: 'pending' | 'done' | 'none';
  /** The run that renamed it. */
  run: number;
}

interface Journal {
  version: 1;
  runs: number;
  pending: Pending[];
}

function ioError(detail: string, file: string, cause?: unknown): AuditLogError {
  return new AuditLogError('IO_ERROR', detail, { stage: 'write', file, recoverable: false }, cause === undefined ? undefined : { cause });
}

async function statOrNull(path: string) {
  try {
    return await stat(path);
  } catch {
    return null;
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

async function* once(b: Uint8Array): AsyncGenerator<Uint8Array> {
  yield b;
}

/** Take the lock file; false when a live process holds it. A lock of a dead process is taken over. */
async function lock(path: string): Promise<boolean> {
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const fh = await open(path, 'wx', 0o600);
      await fh.writeFile(`${process.pid}\n`);
      await fh.close();
      return true;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw ioError(`cannot create the lock file: ${(e as Error).message}`, path, e);
    }
    const pid = Number((await readFile(path, 'utf8').catch(() => '')).trim());
    if (Number.isSafeInteger(pid) && pid > 0 && alive(pid)) return false;
    // Stale (its process is gone, or it was never completely written): take it over.
    await unlink(path).catch(() => undefined);
  }
  return false;
}

async function loadJournal(path: string): Promise<Journal> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch {
    return { version: 1, runs: 0, pending: [] };
  }
  let j: Journal;
  try {
    j = JSON.parse(text) as Journal;
  } catch (e) {
    throw ioError(`the rotation journal is not JSON (${(e as Error).message}); move it away to start afresh`, path, e);
  }
  if (j.version !== 1 || !Array.isArray(j.pending)) throw ioError(`unknown rotation journal version ${JSON.stringify(j.version)}`, path);
  return j;
}

async function saveJournal(path: string, j: Journal): Promise<void> {
  await writeAtomic(path, once(Buffer.from(JSON.stringify(j, null, 2) + '\n')));
}

/** The time of the last event in a JSON log, from its last 64 KiB. */
async function lastJsonEvent(path: string): Promise<number | undefined> {
  const fh = await open(path, 'r');
  try {
    const { size } = await fh.stat();
    const head = Buffer.alloc(64);
    await fh.read(head, 0, 64, 0);
    if (!/^(\ufeff)?\s*\[/.test(head.toString('utf8'))) return undefined;
    const n = Math.min(size, 65536);
    const tail = Buffer.alloc(n);
    await fh.read(tail, 0, n, size - n);
    const all = [...tail.toString('utf8').matchAll(/"timestamp"\s*:\s*"(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d)"/g)];
    return eventTimeMs(all[all.length - 1]?.[1]);
  } finally {
    await fh.close();
  }
}

/**
 * Cut an unterminated log back to its last complete record and append its
 * format's footer, in place. (Repair does this in general; this is the small
 * case rotation needs.) Returns whether the file was changed.
 */
async function terminate(path: string): Promise<boolean> {
  // Only where records end matters here: read lean (framed and checked, no events built).
  const log = readAuditLog(path, { onError: 'skip', keepRaw: false, lean: {} });
  let end = 0;
  for await (const batch of log.batches()) if (batch.length) end = batch[batch.length - 1]!.at.end;
  if (log.layers.length) return false; // already compressed or encrypted by its writer: not ours to touch
  if (log.complete !== false) return false;
  const format = log.format;
  const footer = format === 'json' ? '\n]\n' : format === 'new' || format === 'old' || format === 'percona-new' || format === 'percona-old' ? '</AUDIT>\n' : '';
  if (end === 0) end = log.prologue?.length ?? 0;
  // Cut what follows the last record (a torn record, a separator), and the separator of a JSON record.
  const fh = await open(path, 'r+');
  try {
    const look = Buffer.alloc(Math.min(end, 16));
    await fh.read(look, 0, look.length, end - look.length);
    let cut = end;
    let i = look.length;
    if (format === 'json') while (i > 0 && [0x20, 0x09, 0x0d, 0x0a, 0x2c].includes(look[i - 1]!)) (i--, cut--);
    const nl = format !== 'json' && i > 0 && look[i - 1] !== 0x0a ? '\n' : '';
    await fh.truncate(cut);
    await fh.write(Buffer.from(nl + footer), 0, undefined, cut);
    await fh.sync();
  } finally {
    await fh.close();
  }
  return true;
}

/** Run the hook through sh -c; resolves its exit code. */
function runHook(command: string, env: Record<string, string>): Promise<number> {
  return new Promise((resolve, reject) => {
    const child = spawn('sh', ['-c', command], { stdio: ['ignore', 'inherit', 'inherit'], env: { ...process.env, ...env } });
    child.on('error', reject);
    child.on('exit', (code, signal) => resolve(code ?? (signal ? 128 : 1)));
  });
}

/** Rotate `opts.file`. See the file comment for the steps. */
export async function rotateLog(opts: RotateOptions): Promise<RotateReport> {
  const file = opts.file;
  const dir = dirname(file);
  const base = basename(file);
  const now = opts.now ?? Date.now;
  const set: SetLayout = policySet(dir, base, opts);
  const plain = { compress: false, encrypt: false };
  const finishing = set.compress || set.encrypt;
  const report: RotateReport = { file, dryRun: opts.dryRun ?? false, locked: false, reason: 'missing', renamed: [], hook: [], terminated: [], written: [], pruned: [], pending: [], recovered: [] };
  const lockPath = join(dir, `.${base}.rotate.lock`);
  const journalPath = join(dir, `.${base}.rotate.json`);

  const st = await statOrNull(file);
  const limit = opts.rotateOnSize === undefined ? undefined : blockRound(opts.rotateOnSize);
  const due = (): boolean => {
    if (!st) return (report.reason = 'missing'), false;
    if (limit === undefined) return st.size > 0 ? ((report.reason = 'always'), true) : ((report.reason = 'empty'), false);
    return limit > 0 && st.size > limit ? ((report.reason = 'over-size'), true) : ((report.reason = 'under-size'), false);
  };

  if (opts.dryRun) {
    // What the next run would do: finish every file the journal lists, then rename, then prune.
    const j = await loadJournal(journalPath);
    const toFinish = j.pending.map((p) => p.name);
    if (due()) {
      const lastEvent = set.naming === 'mysql' ? await lastJsonEvent(file) : undefined;
      const name =
        set.naming === 'numbered'
          ? rotatedName(set, { seq: 1 }, plain)
          : (await nextRotatedName(set, { time: now(), layers: plain, ...(lastEvent !== undefined ? { lastEvent } : {}) })).name;
      report.renamed.push({ from: file, to: join(dir, name) });
      if (opts.postRotate) toFinish.push(name);
      else report.pending.push(name);
    }
    report.written = finishing ? toFinish.map((n) => n + layerSuffix(set)) : [];
    report.pruned = pruneCandidates(await listRotated(set), { maxSize: opts.maxSize, pruneSeconds: opts.pruneSeconds, now: now() }).map((f) => f.name);
    return report;
  }

  if (!(await lock(lockPath))) {
    report.locked = true;
    report.reason = 'locked';
    return report;
  }
  try {
    const j = await loadJournal(journalPath);
    j.runs++;
    const save = () => saveJournal(journalPath, j);

    // Temporary files of an interrupted run (only a run holding the lock writes them).
    for (const n of await readdir(dir)) {
      const m = /^\.(.+)\.\d+\.[0-9a-f]{8}\.tmp$/.exec(n);
      if (m && (isRotatedName(set, m[1]!) || m[1] === basename(journalPath))) {
        await unlink(join(dir, n)).catch(() => undefined);
        report.recovered.push(n);
      }
    }

    // A rename recorded but perhaps not (completely) done.
    for (const p of [...j.pending]) {
      if (p.state !== 'renaming') continue;
      const to = join(dir, p.name);
      const [a, b] = [await statOrNull(file), await statOrNull(to)];
      if (b && a && a.ino === b.ino && a.dev === b.dev) await unlink(file); // linked, old name not yet removed
      if (b) {
        p.state = 'renamed';
        report.recovered.push(p.name);
      } else j.pending.splice(j.pending.indexOf(p), 1); // never happened
    }
    await save();

    const hook = async (p: Pending): Promise<void> => {
      if (p.hook !== 'pending') return;
      const code = await runHook(opts.postRotate!, { AUDITLOG_FILE: file, AUDITLOG_ROTATED: join(dir, p.name) });
      report.hook.push({ command: opts.postRotate!, exitCode: code });
      if (code !== 0) throw ioError(`the post-rotate command exited with ${code}; the next run tries it again`, file);
      p.hook = 'done';
      await save();
    };

    const finish = async (p: Pending): Promise<void> => {
      const path = join(dir, p.name);
      if (await statOrNull(path)) {
        if (await terminate(path)) report.terminated.push(p.name);
        if (finishing) {
          const out = p.name + layerSuffix(set);
          const layers = wrapOutput(readBytes(path, path), { compress: set.compress, ...(opts.encrypt ? { encrypt: opts.encrypt } : {}) });
          await writeAtomic(join(dir, out), layers);
          await unlink(path);
          report.written.push(out);
        }
      }
      j.pending.splice(j.pending.indexOf(p), 1);
      await save();
    };

    const ready = (p: Pending) => p.hook === 'done' || (p.hook === 'none' && p.run < j.runs);
    for (const p of [...j.pending]) {
      if (p.hook === 'pending' && opts.postRotate) await hook(p);
      else if (p.hook === 'pending') p.hook = 'none'; // the hook was dropped from the command line
    }
    for (const p of [...j.pending]) if (ready(p)) await finish(p);

    if (due()) {
      const lastEvent = set.naming === 'mysql' ? await lastJsonEvent(file) : undefined;
      const { name, removed } = await nextRotatedName(set, { time: now(), layers: plain, ...(lastEvent !== undefined ? { lastEvent } : {}) });
      report.pruned.push(...removed);
      const p: Pending = { name, state: 'renaming', hook: opts.postRotate ? 'pending' : 'none', run: j.runs };
      j.pending.push(p);
      await save();
      if (!(await renameNoClobber(file, join(dir, name)))) throw ioError(`${join(dir, name)} appeared meanwhile; nothing was renamed`, file);
      p.state = 'renamed';
      await save();
      report.renamed.push({ from: file, to: join(dir, name) });
      await hook(p);
      if (ready(p)) await finish(p);
    }

    const keep = new Set(j.pending.flatMap((p) => [p.name, p.name + layerSuffix(set)]));
    report.pruned.push(...(await prune(set, { maxSize: opts.maxSize, pruneSeconds: opts.pruneSeconds, now: now(), keep })));
    report.pending = j.pending.map((p) => p.name);
    await save();
    return report;
  } finally {
    await unlink(lockPath).catch(() => undefined);
  }
}

