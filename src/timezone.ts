/**
 * Time zones of event timestamps. MySQL Enterprise and Percona classic write UTC;
 * Percona `audit_log_filter` writes the server's local time with no zone. An entry says
 * which (`Entry.timeZone`); `--source-tz` turns local times into UTC.
 *
 *   const toUtc = createZoneConverter('Europe/Berlin');
 *   toUtc('2023-03-29 11:11:43') === '2023-03-29 09:11:43'
 */
import { AuditLogError } from './errors.js';

export type TimeZoneKind = 'utc' | 'local';

/** How `info` names each kind. */
export const ZONE_NAMES: Record<TimeZoneKind, string> = { utc: 'UTC', local: 'server local time, zone unknown' };

/** The classes only Percona's audit_log_filter writes. */
export const PERCONA_CLASSES: ReadonlySet<string> = new Set(['command', 'query', 'global_variable', 'authentication', 'stored_program', 'parse']);

/**
 * Whether a JSON event shows what only Percona audit_log_filter writes (and its times are
 * local): a class or event only it has, a top-level server_id (before 8.4.9), or `time` in
 * microseconds. A writer marks a UTC event that looks so with `"time_zone": "UTC"`.
 */
export function looksPerconaFilter(e: { [k: string]: unknown }): boolean {
  if (typeof e.class === 'string' && PERCONA_CLASSES.has(e.class)) return true;
  if (e.class === 'general' && (e.event === 'log' || e.event === 'error' || e.event === 'result')) return true;
  return e.server_id !== undefined || (typeof e.time === 'number' && e.time > 1e11);
}

const OFFSET_RE = /^([+-])(\d{2}):?(\d{2})$/;
const WALL_RE = /^(\d{4})-(\d{2})-(\d{2}) (\d{2}):(\d{2}):(\d{2})$/;

function pad(n: number, w = 2): string {
  return String(n).padStart(w, '0');
}

/** `YYYY-MM-DD hh:mm:ss` of a UTC epoch in milliseconds. */
export function formatUtc(ms: number): string {
  const d = new Date(ms);
  return `${pad(d.getUTCFullYear(), 4)}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())} ${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())}`;
}

/** Whether y-m-d h:m:s is a real date and time (no 2014-02-30, no month 13). */
export function isRealTime(y: number, mo: number, d: number, h = 0, mi = 0, s = 0): boolean {
  if (mo < 1 || mo > 12 || d < 1 || h > 23 || mi > 59 || s > 59) return false;
  const days = new Date(Date.UTC(y, mo, 0)).getUTCDate();
  return d <= days;
}

/**
 * A converter from wall-clock times in `zone` (an IANA name such as `Europe/Berlin`, or an
 * offset `+hh:mm`) to UTC, both as `YYYY-MM-DD hh:mm:ss`. Values that are not such a time
 * (test placeholders) come back as they are. In a zone's repeated hour (daylight saving
 * ends) one of the two instants is taken; the hour skipped when it starts does not occur.
 * @throws AuditLogError INVALID_OPTION for an unknown zone
 */
export function createZoneConverter(zone: string): (wall: string) => string {
  const z = zone.trim();
  const m = OFFSET_RE.exec(z);
  let offsetAt: (utcMs: number) => number;
  if (m) {
    const off = (m[1] === '-' ? -1 : 1) * (Number(m[2]) * 60 + Number(m[3])) * 60_000;
    if (Number(m[2]) > 14 || Number(m[3]) > 59) throw badZone(zone);
    offsetAt = () => off;
  } else {
    let fmt: Intl.DateTimeFormat;
    try {
      fmt = new Intl.DateTimeFormat('en-US', { timeZone: z, hourCycle: 'h23', year: 'numeric', month: 'numeric', day: 'numeric', hour: 'numeric', minute: 'numeric', second: 'numeric' });
    } catch {
      throw badZone(zone);
    }
    offsetAt = (utcMs) => {
      const p: Record<string, number> = {};
      for (const part of fmt.formatToParts(new Date(utcMs))) if (part.type !== 'literal') p[part.type] = Number(part.value);
      return Date.UTC(p.year!, p.month! - 1, p.day!, p.hour!, p.minute!, p.second!) - Math.floor(utcMs / 1000) * 1000;
    };
  }
  // Offsets change at most a few times a year: one lookup per wall-clock hour seen.
  const cache = new Map<string, number>();
  return (wall) => {
    const w = WALL_RE.exec(wall);
    if (!w) return wall;
    const asUtc = Date.UTC(Number(w[1]), Number(w[2]) - 1, Number(w[3]), Number(w[4]), Number(w[5]), Number(w[6]));
    const key = wall.slice(0, 13);
    let off = cache.get(key);
    if (off === undefined) {
      // The offset at the instant this wall time names: a first guess, then the offset there.
      off = offsetAt(asUtc - offsetAt(asUtc));
      if (cache.size > 10_000) cache.clear();
      cache.set(key, off);
    }
    return formatUtc(asUtc - off);
  };
}

function badZone(zone: string): AuditLogError {
  return new AuditLogError('INVALID_OPTION', `--source-tz ${JSON.stringify(zone)}: not an IANA time zone name (Europe/Berlin) or an offset (+02:00)`, {
    stage: 'read',
    recoverable: false,
  });
}
