/**
 * The text `mysqlbinlog [-v] [--base64-output=DECODE-ROWS]` prints, read line by
 * line, with every event that names a thread annotated by the session that ran it.
 *
 *   for await (const line of annotateBinlog(lines, (id, time) => index.at(id, time))) process.stdout.write(line);
 *
 * The layout read (mysqlbinlog 5.6 to 8.x, as the MySQL manual's "mysqlbinlog Row Event
 * Display" shows it):
 *
 *   # at 236
 *   #250508 17:06:16 server id 1  end_log_pos 313 CRC32 0x6014bd15 \tQuery\tthread_id=15\texec_time=0\terror_code=0
 *   SET TIMESTAMP=1746691576/*!*\/;
 *   ...
 *   BEGIN
 *   /*!*\/;
 *   # at 313
 *   #250508 17:06:16 server id 1  end_log_pos 372 CRC32 0x66569ef4 \tTable_map: `db`.`t` mapped to number 145
 *   # at 372
 *   #250508 17:06:16 server id 1  end_log_pos 427 CRC32 0xfa0918f4 \tWrite_rows: table id 145 flags: STMT_END_F
 *   ### INSERT INTO `db`.`t`
 *   ### SET
 *   ###   @1=1
 *   # at 427
 *   #250508 17:06:16 server id 1  end_log_pos 458 CRC32 0x... \tXid = 25
 *   COMMIT/*!*\/;
 *
 * Only Query events carry `thread_id`; row events (Table_map, Write/Update/Delete_rows)
 * belong to the transaction that the `BEGIN` Query event of a thread opened, and are
 * annotated with that thread. The time of an event is its `SET TIMESTAMP=` (seconds since
 * the epoch, so UTC), else the header's `#yymmdd hh:mm:ss`, which mysqlbinlog prints in the
 * time zone it ran in (`headerZone`). An annotation is one comment line right after the
 * header, starting `# auditlog:`, so the text stays what mysqlbinlog printed plus comments.
 */
import type { Attribution } from './session-index.js';
import { identityAt } from './session-index.js';
import type { Session } from './sessions.js';

/** One event header line, parsed. */
export interface BinlogHeader {
  /** `yymmdd hh:mm:ss` as printed. */
  date: string;
  serverId: number;
  endLogPos: number;
  /** The event type word: `Query`, `Table_map:`, `Write_rows:`, `Xid`, `GTID`, ... (without a trailing colon). */
  type: string;
  threadId?: number;
}

const HEADER_RE = /^#(\d{6}) +(\d{1,2}:\d{2}:\d{2}) +server id +(\d+) +end_log_pos +(\d+)(?: +CRC32 +0x[0-9a-fA-F]+)? *\t?\s*(\S+)(.*)$/;
const THREAD_RE = /(?:^|\s)thread_id=(\d+)/;
const SET_TIMESTAMP_RE = /^SET TIMESTAMP=(\d+)(?:\.\d+)?\/\*!\*\/;/;

/**
 * Parse an event header line (`#yymmdd hh:mm:ss server id N  end_log_pos M ...`).
 * @returns the parsed header, or undefined for any other line
 */
export function parseBinlogHeader(line: string): BinlogHeader | undefined {
  if (line.charCodeAt(0) !== 0x23 || line.charCodeAt(1) < 0x30 || line.charCodeAt(1) > 0x39) return undefined;
  const m = HEADER_RE.exec(line.replace(/\r?\n$/, ''));
  if (!m) return undefined;
  const h: BinlogHeader = { date: `${m[1]} ${m[2]}`, serverId: Number(m[3]), endLogPos: Number(m[4]), type: m[5]!.replace(/:$/, '') };
  const t = THREAD_RE.exec(m[6]!);
  if (t) h.threadId = Number(t[1]);
  return h;
}

/** `YYYY-MM-DD hh:mm:ss` in UTC of seconds since the epoch. */
export function epochToTimestamp(sec: number): string {
  return new Date(sec * 1000).toISOString().slice(0, 19).replace('T', ' ');
}

/**
 * A header's `yymmdd hh:mm:ss` as UTC `YYYY-MM-DD hh:mm:ss`.
 * @param zone `local` (this process's time zone, as mysqlbinlog would have printed it here), `UTC`, or `+hh:mm`/`-hh:mm`
 */
export function headerTimeToUtc(date: string, zone: string): string | undefined {
  const m = /^(\d\d)(\d\d)(\d\d) (\d{1,2}):(\d\d):(\d\d)$/.exec(date);
  if (!m) return undefined;
  const [y, mo, d, h, mi, s] = m.slice(1).map(Number) as [number, number, number, number, number, number];
  const year = 2000 + y;
  if (zone === 'local') return epochToTimestamp(new Date(year, mo - 1, d, h, mi, s).getTime() / 1000);
  const z = zone.toUpperCase() === 'UTC' ? [0, 0, 0] : /^([+-])(\d\d):(\d\d)$/.exec(zone)?.slice(1);
  if (!z) return undefined;
  const sign = z[0] === '-' ? -1 : 1;
  const offset = zone.toUpperCase() === 'UTC' ? 0 : sign * (Number(z[1]) * 60 + Number(z[2]));
  return epochToTimestamp(Date.UTC(year, mo - 1, d, h, mi, s) / 1000 - offset * 60);
}

export interface AnnotateOptions {
  /** Zone of the header times, used when an event has no `SET TIMESTAMP`: `local` (default), `UTC`, `+hh:mm`. */
  headerZone?: string;
  /** Lines of a Query event held back while looking for its `SET TIMESTAMP` (default 64). */
  maxHeldLines?: number;
}

export interface AnnotateSummary {
  /** Event headers read. */
  events: number;
  /** Events attributed to a session. */
  attributed: number;
  /** Events whose session is not in the audit files (by reason). */
  unknown: Record<string, number>;
}

const ROW_EVENTS = new Set(['Table_map', 'Write_rows', 'Update_rows', 'Delete_rows', 'Write_rows_v1', 'Update_rows_v1', 'Delete_rows_v1', 'Rows_query', 'Partial_update_rows']);

function describe(s: Session, time: string | undefined): string {
  const id = identityAt(s, time);
  const user = `${id.login_user ?? '?'}${id.account_user !== undefined && id.account_user !== '' && id.account_user !== id.login_user ? ` (as ${id.account_user})` : ''}`;
  const parts = [`login ${user}`, `host ${s.host || '?'}`, `ip ${s.ip || '?'}`];
  const client = [s.program_name, s.client_pid !== undefined ? `pid ${s.client_pid}` : undefined, s.client_name && `${s.client_name}${s.client_version ? ' ' + s.client_version : ''}`]
    .filter(Boolean)
    .join(', ');
  parts.push(`client ${client || '?'}`);
  parts.push(s.connect_time !== undefined ? `connected ${s.connect_time}` : `connected before ${s.from ?? '?'}`);
  return parts.join(', ');
}

/** The annotation line for one event. */
export function annotation(threadId: number, time: string | undefined, a: Attribution, via?: string): string {
  const head = `# auditlog: thread_id=${threadId}${via ? ` (${via})` : ''}${time ? ` at ${time} UTC` : ''}: `;
  if ('unknown' in a) {
    const why =
      a.unknown === 'no-session'
        ? 'no session with this connection id in the audit files at that time'
        : a.unknown === 'outside-audit-span'
          ? 'the audit files do not cover that time'
          : a.unknown === 'beyond-retained-window'
            ? 'the session may have ended before the retained window of finished sessions'
            : 'no time for the event';
    return `${head}unknown (${why})\n`;
  }
  return head + a.sessions.map((s) => describe(s, time)).join(' | or | ') + '\n';
}

/**
 * Annotate mysqlbinlog text.
 * @param lines the text, as lines with their line ends (see splitLines)
 * @param lookup which session had a connection id at a time (UTC `YYYY-MM-DD hh:mm:ss`)
 * @param summary filled in as lines are produced
 * @returns the same lines, with `# auditlog:` lines added after event headers
 */
export async function* annotateBinlog(
  lines: AsyncIterable<string>,
  lookup: (threadId: number, time: string | undefined) => Promise<Attribution>,
  opts: AnnotateOptions = {},
  summary: AnnotateSummary = { events: 0, attributed: 0, unknown: {} },
): AsyncGenerator<string> {
  const zone = opts.headerZone ?? 'local';
  const maxHeld = opts.maxHeldLines ?? 64;
  // A Query event's header and the lines after it, until its SET TIMESTAMP is seen.
  let held: { header: BinlogHeader; lines: string[] } | undefined;
  // The open transaction's thread and time (from its BEGIN), for the row events inside it.
  let txn: { threadId: number; time: string | undefined } | undefined;
  // The Query event being read (after its annotation), to see its BEGIN / COMMIT.
  let query: { threadId: number; time: string | undefined } | undefined;

  const note = async (threadId: number, time: string | undefined, via?: string): Promise<string> => {
    const a = await lookup(threadId, time);
    if ('unknown' in a) summary.unknown[a.unknown] = (summary.unknown[a.unknown] ?? 0) + 1;
    else summary.attributed++;
    return annotation(threadId, time, a, via);
  };

  const release = async function* (time: string | undefined): AsyncGenerator<string> {
    const h = held!;
    held = undefined;
    const t = time ?? headerTimeToUtc(h.header.date, zone);
    query = { threadId: h.header.threadId!, time: t };
    yield h.lines[0]!;
    yield await note(h.header.threadId!, t);
    for (let i = 1; i < h.lines.length; i++) yield* body(h.lines[i]!);
  };

  // A body line of the current event: notes a Query event's BEGIN and COMMIT.
  function* body(line: string): Generator<string> {
    if (query) {
      const l = line.trimEnd();
      if (l === 'BEGIN') txn = query;
      else if (/^(COMMIT|ROLLBACK)\b/i.test(l)) txn = undefined;
    }
    yield line;
  }

  for await (const line of lines) {
    const h = parseBinlogHeader(line);
    if (h) {
      if (held) yield* release(undefined);
      query = undefined;
      summary.events++;
      if (h.type === 'Xid' || h.type === 'GTID' || h.type === 'Anonymous_GTID') {
        // Xid commits the transaction; a GTID event starts the next one.
        yield line;
        txn = undefined;
        continue;
      }
      if (h.threadId !== undefined && h.type === 'Query') {
        held = { header: h, lines: [line] };
        continue;
      }
      yield line;
      if (txn && ROW_EVENTS.has(h.type)) yield await note(txn.threadId, txn.time, "the transaction's BEGIN");
      continue;
    }
    if (held) {
      held.lines.push(line);
      const m = SET_TIMESTAMP_RE.exec(line);
      if (m) yield* release(epochToTimestamp(Number(m[1])));
      else if (line.startsWith('# at ') || held.lines.length >= maxHeld) yield* release(undefined);
      continue;
    }
    yield* body(line);
  }
  if (held) yield* release(undefined);
}

/**
 * Lines of a byte stream, each with its line end; the last one without, if the text does not end with one.
 * @param chunks UTF-8 text
 */
export async function* splitLines(chunks: AsyncIterable<Uint8Array | string>): AsyncGenerator<string> {
  const dec = new TextDecoder('utf-8');
  let rest = '';
  for await (const c of chunks) {
    rest += typeof c === 'string' ? c : dec.decode(c, { stream: true });
    let start = 0;
    for (;;) {
      const nl = rest.indexOf('\n', start);
      if (nl < 0) break;
      yield rest.slice(start, nl + 1);
      start = nl + 1;
    }
    rest = rest.slice(start);
  }
  rest += dec.decode();
  if (rest) yield rest;
}
