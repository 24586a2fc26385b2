/**
 * What an event means for the per-connection trackers (default database,
 * sessions): one classification of the event shape (`class`, `event`,
 * `general_data.command`, `sql_command`, `status`), so that a change of the
 * event taxonomy is mended here and nowhere else.
 *
 *   const kind = eventKind(entry.event);   // 'connect', 'statement', 'init_db', ...
 *   if (kind === 'statement' && isChangeDb(entry.event)) ...
 */
import type { AuditEvent } from './entry.js';

export type EventKind =
  /** A server (or audit plugin) start: every connection before it is gone. */
  | 'startup'
  | 'shutdown'
  | 'connect'
  | 'change_user'
  | 'disconnect'
  /** `COM_INIT_DB` (`Init DB`), as a general status event. */
  | 'init_db'
  /** Any other general status event: a statement or a protocol command of a connection. */
  | 'statement'
  | 'table_access'
  /** Everything else (messages, Percona filter's command/query/variable classes, general log/result events). */
  | 'other';

/**
 * The kind of an event.
 * @param e an event in the MySQL Enterprise JSON shape
 * @returns its kind
 */
export function eventKind(e: AuditEvent): EventKind {
  switch (e.class) {
    case 'audit':
      if (e.event === 'startup') return 'startup';
      if (e.event === 'shutdown') return 'shutdown';
      // Percona audit_log_filter before 8.4.9 writes its startup record as `"class": "audit"` with no event.
      return e.event === undefined ? 'startup' : 'other';
    case 'connection':
      if (e.event === 'connect') return 'connect';
      if (e.event === 'change_user') return 'change_user';
      if (e.event === 'disconnect') return 'disconnect';
      return 'other';
    case 'general': {
      // Percona audit_log_filter also writes general/log, /error and /result for the same statement: only status counts.
      if (e.event !== 'status') return 'other';
      const cmd = e.general_data?.command;
      if (typeof cmd === 'string') {
        const c = cmd.toLowerCase();
        if (c === 'init db') return 'init_db';
        // Connection records cover these; a general event with these commands is not a statement.
        if (c === 'quit' || c === 'change user' || c === 'connect') return 'other';
      }
      return 'statement';
    }
    case 'table_access':
      return 'table_access';
    default:
      return 'other';
  }
}

/** A status (error code) as a number: `*_data.status`, or undefined when absent or not a number. */
export function statusOf(e: AuditEvent): number | undefined {
  const s = e.general_data?.status ?? e.connection_data?.status;
  if (typeof s === 'number') return s;
  if (typeof s === 'string' && /^-?\d+$/.test(s)) return Number(s);
  return undefined;
}

/**
 * The statement class (`sql_command`, lower case) of a general or table-access event.
 * @param only when given, names of other lengths than these are returned as written (not lower-cased): a hot-path saving
 */
export function sqlCommandOf(e: AuditEvent, only?: readonly string[]): string | undefined {
  const c = e.general_data?.sql_command ?? e.table_access_data?.sql_command;
  if (typeof c !== 'string') return undefined;
  if (only && !only.some((o) => o.length === c.length)) return c;
  return c.toLowerCase();
}

/** The SQL text of a general or table-access event. */
export function queryOf(e: AuditEvent): string | undefined {
  const q = e.general_data?.query ?? e.table_access_data?.query;
  return typeof q === 'string' ? q : undefined;
}

/**
 * The key connections are told apart by: the connection id as text, or
 * undefined for events without one (startup, shutdown).
 */
export function connectionKey(e: AuditEvent): string | undefined {
  const id = e.connection_id;
  return id === undefined ? undefined : String(id);
}
