/**
 * Which session held a connection id at a given time: a session tracker over
 * the audit entries that reads only as far as the questions need (streaming),
 * keeps the open sessions and a bounded window of finished ones.
 *
 *   const index = createSessionIndex(auditBatches(['audit.log']));
 *   const hit = await index.at(15, '2025-05-08 08:06:16');   // { sessions: [...] } or { unknown: 'no-session' | ... }
 *
 * Times are `YYYY-MM-DD hh:mm:ss` in the audit files' own zone (UTC for MySQL
 * Enterprise and the Percona classic plugin).
 */
import type { Entry } from './entry.js';
import { createSessionTracker, epochSeconds, type Session, type SessionTracker, type SessionTrackerOptions } from './sessions.js';

/** Finished sessions kept for lookups by default; past it the oldest are dropped (lookups before them say so). */
export const DEFAULT_RETAIN = 20_000;
/**
 * The audit stream is read this many seconds past the time asked about before a
 * connection id is called unknown: audit records of one second may be written a
 * little out of order by concurrent threads.
 */
export const LOOKAHEAD_SECONDS = 60;

export type UnknownReason =
  /** No session had that connection id at that time, in the span the audit files cover. */
  | 'no-session'
  /** The time is before the first or after the last event of the audit files. */
  | 'outside-audit-span'
  /** The session ended before the retained window of finished sessions (see `retain`). */
  | 'beyond-retained-window'
  /** No time was known for the question. */
  | 'no-time';

export type Attribution = { sessions: Session[] } | { unknown: UnknownReason };

export interface SessionIndexOptions extends SessionTrackerOptions {
  /** Finished sessions kept for lookups. Defaults to DEFAULT_RETAIN. */
  retain?: number;
}

export interface SessionIndex {
  /** The sessions that held `connectionId` at `time` (usually one; two when one ended and another began in that second). */
  at(connectionId: number | string, time: string | undefined): Promise<Attribution>;
  /** Read on until the open session `s` ends (or the input ends); @returns it, finished */
  finish(s: Session): Promise<Session>;
  /** The tracker underneath (for its summary). */
  readonly tracker: SessionTracker;
  /** Finished sessions dropped from the retained window. */
  readonly dropped: number;
}

/**
 * Build an index over audit entries in log order.
 * @param batches the entries, in batches (e.g. readAuditLog(...).batches() of each file in turn)
 * @param opts limits
 */
export function createSessionIndex(batches: AsyncIterable<Entry[]>, opts: SessionIndexOptions = {}): SessionIndex {
  const retain = opts.retain ?? DEFAULT_RETAIN;
  const tracker = createSessionTracker(opts);
  const it = batches[Symbol.asyncIterator]();
  const closed = new Map<string, Session[]>();
  const order: Session[] = [];
  let orderHead = 0;
  let done = false;
  let first: string | undefined;
  let dropped = 0;
  // The latest `until` among dropped sessions: a miss before it may be a dropped session.
  let droppedUntil: string | undefined;

  const keep = (s: Session) => {
    if (s.login_failed) return;
    const k = String(s.connection_id);
    const list = closed.get(k);
    if (list) list.push(s);
    else closed.set(k, [s]);
    order.push(s);
    if (order.length - orderHead > retain) {
      const old = order[orderHead++]!;
      const l = closed.get(String(old.connection_id))!;
      l.splice(l.indexOf(old), 1);
      if (l.length === 0) closed.delete(String(old.connection_id));
      dropped++;
      if (old.until !== undefined && (droppedUntil === undefined || old.until > droppedUntil)) droppedUntil = old.until;
      // Compact the queue now and then, so its dead head does not grow without bound.
      if (orderHead > 4096 && orderHead * 2 > order.length) {
        order.splice(0, orderHead);
        orderHead = 0;
      }
    }
  };

  const pull = async (): Promise<boolean> => {
    if (done) return false;
    const r = await it.next();
    if (r.done) {
      done = true;
      for (const s of tracker.end()) keep(s);
      return false;
    }
    for (const e of r.value) {
      for (const s of tracker.push(e)) keep(s);
      if (first === undefined && epochSeconds(e.event.timestamp) !== undefined) first = e.event.timestamp;
    }
    return true;
  };

  /** Read until the audit stream is past `t` + LOOKAHEAD_SECONDS, or ended. */
  const advance = async (t: number) => {
    while (!done) {
      const now = epochSeconds(tracker.now);
      if (now !== undefined && now > t + LOOKAHEAD_SECONDS) return;
      await pull();
    }
  };

  const covers = (s: Session, time: string) => (s.from === undefined || s.from <= time) && (s.until === undefined || time <= s.until);

  return {
    async at(connectionId, time) {
      const t = epochSeconds(time);
      if (time === undefined || t === undefined) return { unknown: 'no-time' };
      await advance(t);
      const key = String(connectionId);
      const hits = (closed.get(key) ?? []).filter((s) => covers(s, time));
      const o = tracker.open(key);
      if (o && !o.login_failed && (o.from === undefined || o.from <= time)) hits.push(o);
      if (hits.length) return { sessions: hits };
      if (first === undefined || time < first || (done && tracker.now !== undefined && time > tracker.now)) return { unknown: 'outside-audit-span' };
      if (droppedUntil !== undefined && time <= droppedUntil) return { unknown: 'beyond-retained-window' };
      return { unknown: 'no-session' };
    },
    async finish(s) {
      while (!done && tracker.open(s.connection_id) === s) await pull();
      return s;
    },
    tracker,
    get dropped() {
      return dropped;
    },
  };
}

/**
 * Who a session was at a time: its login and account user, taking its change users into account.
 * @returns the login and account user in effect at `time`
 */
export function identityAt(s: Session, time: string | undefined): { login_user?: string; account_user?: string } {
  const id: { login_user?: string; account_user?: string } = {};
  if (s.login_user !== undefined) id.login_user = s.login_user;
  if (s.account_user !== undefined) id.account_user = s.account_user;
  for (const c of s.user_changes ?? []) {
    if (time === undefined || c.time === undefined || c.time > time) break;
    if (c.login_user !== undefined) id.login_user = c.login_user;
    if (c.account_user !== undefined) id.account_user = c.account_user;
  }
  return id;
}
