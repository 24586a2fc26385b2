/**
 * The `read --state` cursor file: versioned JSON, written to a temporary file,
 * fsynced and renamed into place (never half-written), so that the next read
 * resumes right after the last event the previous one printed.
 *
 *   const state = await loadState('read.state');     // null: no state yet, read from the oldest event
 *   ...
 *   await saveState('read.state', { version: STATE_VERSION, cursor });
 */
import { readFile } from 'node:fs/promises';
import { AuditLogError } from './errors.js';
import type { Cursor } from './read.js';
import { writeAtomic } from './sink.js';

export const STATE_VERSION = 1;

export interface ReadState {
  version: number;
  /** Where the next read resumes; null when no event was read yet. */
  cursor: Cursor | null;
}

function invalid(file: string, detail: string): AuditLogError {
  return new AuditLogError('STATE_INVALID', detail, { stage: 'read', file, recoverable: false, suggestion: 'remove the state file to read from the oldest event, or give --start or --bookmark' });
}

function isCursor(c: unknown): c is Cursor {
  const x = c as Cursor;
  return (
    typeof x === 'object' && x !== null &&
    typeof x.file?.name === 'string' && typeof x.file.fingerprint === 'string' && Number.isSafeInteger(x.file.fingerprintBytes) &&
    Number.isSafeInteger(x.offset) && x.offset >= 0 &&
    typeof x.last?.timestamp === 'string' && Number.isSafeInteger(x.last.id)
  );
}

/** The saved state, or null when the file does not exist yet. */
export async function loadState(path: string): Promise<ReadState | null> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw new AuditLogError('IO_ERROR', (e as Error).message, { stage: 'read', file: path, recoverable: false }, { cause: e });
  }
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch (e) {
    throw invalid(path, `state file is not JSON: ${(e as Error).message}`);
  }
  const s = v as ReadState;
  if (typeof s !== 'object' || s === null || !Number.isSafeInteger(s.version)) throw invalid(path, 'state file has no version');
  if (s.version > STATE_VERSION) throw invalid(path, `state file was written by a newer auditlog (state version ${s.version}; this one reads up to ${STATE_VERSION})`);
  if (s.version < 1 || (s.cursor !== null && !isCursor(s.cursor))) throw invalid(path, 'state file is not a read cursor');
  return { version: s.version, cursor: s.cursor };
}

/** Write the state atomically (temporary file, fsync, rename), mode 0600. */
export async function saveState(path: string, state: ReadState): Promise<void> {
  const text = JSON.stringify({ version: STATE_VERSION, cursor: state.cursor }, null, 2) + '\n';
  await writeAtomic(
    path,
    (async function* () {
      yield Buffer.from(text);
    })(),
  );
}
