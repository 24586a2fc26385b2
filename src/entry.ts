/**
 * The one record shape every stage speaks: a MySQL Enterprise JSON audit event
 * (what the server's own `audit_log_read()` returns) plus where it came from.
 *
 *   for await (const e of readAuditLog('audit.log')) console.log(e.at.index, e.event.class);
 *
 * The mapping from XML and Percona fields to this shape is documented in
 * docs/event-shape.md and implemented in src/mapping.ts.
 */

/** Formats we read. Detected from content, never from the file name. */
export type FormatId =
  | 'new'
  | 'old'
  | 'json'
  | 'percona-old'
  | 'percona-new'
  | 'percona-json'
  | 'percona-csv';

export const FORMAT_IDS: readonly FormatId[] = [
  'new',
  'old',
  'json',
  'percona-old',
  'percona-new',
  'percona-json',
  'percona-csv',
];

/** A JSON value as it appears inside an audit event. */
export type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };

/**
 * An audit event in the MySQL Enterprise JSON shape. Keys appear in the order
 * the server writes them: timestamp, id, class, event, connection_id, account,
 * login, `<class>_data`. Fields a source format does not carry are absent.
 */
export interface AuditEvent {
  timestamp?: string;
  id?: number;
  class?: string;
  event?: string;
  connection_id?: number | string;
  account?: { user?: string; host?: string };
  login?: { user?: string; os?: string; ip?: string; proxy?: string };
  startup_data?: { server_id?: number | string; os_version?: string; mysql_version?: string; args?: string[] };
  shutdown_data?: { server_id?: number | string };
  connection_data?: {
    connection_type?: string;
    status?: number | string;
    db?: string;
    connection_attributes?: Record<string, string>;
  };
  general_data?: { command?: string; sql_command?: string; query?: string; status?: number | string; db?: string };
  table_access_data?: { db?: string; table?: string; query?: string; sql_command?: string };
  [key: string]: JsonValue | undefined;
}

/** Where a record sits: byte range in the decoded stream of one file, and its record number. */
export interface Position {
  /** File name as given by the user, or `-` for stdin. */
  file: string;
  /** Byte offset of the record's first byte in the decoded stream. */
  offset: number;
  /** Byte offset just past the record's last byte. */
  end: number;
  /** Record number in the file, counting from 0. Malformed and truncated records take a number too. */
  index: number;
}

/** One record read from an audit log. */
export interface Entry {
  event: AuditEvent;
  /** The record's original bytes, for same-format pass-through. */
  raw?: Uint8Array;
  format: FormatId;
  at: Position;
  /**
   * Whether `event.timestamp` is UTC or the server's local time with no zone (Percona
   * `audit_log_filter`). Absent means UTC. Writers never write a local time as UTC.
   */
  timeZone?: 'utc' | 'local';
}
