/**
 * Default-database tracking: a transform that follows each connection's
 * default database through the log and writes it into every general and
 * table-access event that carries no db (`general_data.db`,
 * `table_access_data.db`), as Percona's classic plugin does inside the server.
 *
 *   const track = createDbTracker();
 *   for await (const e of readAuditLog('audit.log')) { track.apply(e); ... }
 *   for await (const e of trackDb(entries)) ...   // the same, as an async transform
 *
 * Rules (docs/sessions.md):
 * - a successful connect or change user sets it from `connection_data.db` (`""`: none);
 * - a successful `Init DB` sets it from its SQL text when the record holds the name, and
 *   makes it unknown when it does not (MySQL Enterprise and Percona 8.0 write none);
 * - a successful `USE db` (`sql_command` `change_db`) sets it, any case and quoting;
 *   an unreadable one makes it unknown;
 * - a successful `DROP DATABASE` of the current default database unsets it (`""`), as the server does;
 * - failed statements, failed logins and failed change users change nothing;
 * - a disconnect forgets the connection, a startup record forgets all of them;
 * - a connection first seen in the middle of the log (live before the log began) has no known db.
 * Unknown means no db is written: never a guess. Events that already carry a db keep it.
 */
import type { Entry } from './entry.js';
import { connectionKey, eventKind, queryOf, sqlCommandOf, statusOf, type EventKind } from './event-kind.js';
import { AgeQueue } from './age-queue.js';
import { dropDatabaseTarget, useTarget } from './sql-names.js';

/** Connections followed at once by default; past it the oldest is forgotten (its db becomes unknown) and counted. */
export const DEFAULT_MAX_CONNECTIONS = 50_000;

export interface DbTrackerOptions {
  /** Open connections followed at once. Defaults to DEFAULT_MAX_CONNECTIONS. */
  maxConnections?: number;
  /** Write the db into events that lack one (default true); false only follows, for `current()`. */
  fill?: boolean;
}

export interface DbTrackerSummary {
  /** Events that got a db written into them. */
  filled: number;
  /** General and table-access events left without a db because their connection's db was unknown. */
  unknown: number;
  /** Connections forgotten because maxConnections were open at once. */
  evicted: number;
}

export interface DbTracker {
  /**
   * Follow one entry (in log order) and fill in its db when it lacks one. Drops `raw` of an entry it changes.
   * @param kind the entry's eventKind, when the caller has it already
   */
  apply(entry: Entry, kind?: EventKind): void;
  /** The default database now known for a connection id: a name, `""` (none), or undefined (unknown). */
  current(connectionId: number | string): string | undefined;
  summary(): DbTrackerSummary;
}

/** The statement classes that change the default database (sqlCommandOf lower-cases only names of their lengths). */
const DB_COMMANDS = ['change_db', 'drop_db'];

/** A connection whose default database is not known (after `Init DB` without a name, or an unreadable `USE`). */
const UNKNOWN = Symbol('unknown');
type Db = string | typeof UNKNOWN;

/**
 * Make a tracker. One tracker follows all inputs of a run, in order, as one stream.
 * @param opts limits
 * @returns the tracker
 */
export function createDbTracker(opts: DbTrackerOptions = {}): DbTracker {
  const max = opts.maxConnections ?? DEFAULT_MAX_CONNECTIONS;
  const filling = opts.fill ?? true;
  // One mutable slot per connection, so that a change of db is no new insertion (the age order is the first connect's).
  const dbs = new Map<string, { db: Db }>();
  const ages = new AgeQueue<{ db: Db }>((k, v) => dbs.get(k) === v, () => dbs.size);
  const s: DbTrackerSummary = { filled: 0, unknown: 0, evicted: 0 };

  const set = (key: string, db: Db) => {
    const slot = dbs.get(key);
    if (slot) {
      slot.db = db;
      return;
    }
    if (dbs.size >= max) {
      const [oldest] = ages.shiftLive()!;
      dbs.delete(oldest);
      s.evicted++;
    }
    const fresh: { db: Db } = { db };
    dbs.set(key, fresh);
    ages.push(key, fresh);
  };

  return {
    apply(entry, kind = eventKind(entry.event)) {
      const e = entry.event;
      if (kind === 'startup') {
        dbs.clear();
        ages.clear();
        return;
      }
      if (kind === 'other' || kind === 'shutdown') return;
      const key = connectionKey(e);
      if (key === undefined) return;
      // A status that is absent says nothing about success: what it would have set becomes unknown.
      const status = statusOf(e);
      switch (kind) {
        case 'connect':
        case 'change_user': {
          if (status !== undefined && status !== 0) return;
          const db = e.connection_data?.db;
          set(key, status === 0 && typeof db === 'string' ? db : UNKNOWN);
          return;
        }
        case 'disconnect':
          dbs.delete(key);
          return;
        case 'init_db':
          if (status === 0) {
            // Percona's plugin takes the name only when the text is one word.
            const q = queryOf(e)?.trim();
            set(key, q && !/\s/.test(q) ? q.replace(/^`(.*)`$/s, '$1') : UNKNOWN);
          } else if (status === undefined) set(key, UNKNOWN);
          break;
        case 'statement': {
          const cmd = sqlCommandOf(e, DB_COMMANDS);
          if (cmd === 'change_db') {
            if (status === 0) set(key, useTarget(queryOf(e) ?? '') ?? UNKNOWN);
            else if (status === undefined) set(key, UNKNOWN);
          } else if (cmd === 'drop_db' && status !== undefined && status !== 0) {
            // failed: nothing changed
          } else if (cmd === 'drop_db' && dbs.has(key)) {
            const dropped = status === 0 ? dropDatabaseTarget(queryOf(e) ?? '') : undefined;
            if (dropped === undefined) set(key, UNKNOWN);
            else if (dbs.get(key)!.db === dropped) set(key, '');
          }
          break;
        }
        case 'table_access':
          break;
      }
      if (filling) fill(entry, dbs.get(key)?.db, s);
    },
    current(id) {
      const db = dbs.get(String(id))?.db;
      return db === UNKNOWN ? undefined : db;
    },
    summary() {
      return { ...s };
    },
  };
}

/** Write the db into an event that has none; an event changed this way loses its original bytes. */
function fill(entry: Entry, db: Db | undefined, s: DbTrackerSummary): void {
  const e = entry.event;
  const data = e.table_access_data ?? e.general_data;
  if (!data || data.db !== undefined) return;
  if (db === undefined || db === UNKNOWN) {
    s.unknown++;
    return;
  }
  data.db = db;
  s.filled++;
  delete entry.raw;
}

/**
 * Default-database tracking as an async transform over entries.
 * @param entries entries in log order
 * @param tracker the tracker to use (one per run); a new one by default
 * @returns the same entries, with dbs filled in
 */
export async function* trackDb(entries: AsyncIterable<Entry>, tracker: DbTracker = createDbTracker()): AsyncGenerator<Entry> {
  for await (const e of entries) {
    tracker.apply(e);
    yield e;
  }
}
