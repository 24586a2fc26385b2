/**
 * Human rendering of the security sections of `info` (logins, errors, hosts,
 * IPs, databases, SQL kinds, privileged statements, events per hour) and of a
 * file set (one line per file, then warnings). Every value is escaped.
 *
 *   out(formatSecurity(report.security, { bars: process.stdout.isTTY }));
 */
import type { FileSetWarning } from '../src/file-set.js';
import type { InfoReport } from '../src/info.js';
import type { SecurityReport, TopCounts } from '../src/security.js';
import { escapeText } from '../src/text.js';
import { fit } from './show-format.js';

const e = (s: string) => (s === '' ? '""' : escapeText(s));

function counts(m: TopCounts): string {
  const parts = Object.entries(m).map(([k, v]) => `${k === '(other)' ? k : e(k)} ${v}`);
  return parts.join(', ') || '-';
}

/** Privileged statements listed in the human report (--json has up to MAX_PRIVILEGED_LISTED). */
const PRIVILEGED_SHOWN = 20;
/** Width of the longest bar of the per-hour histogram, in columns. */
const BAR = 40;

/** Per hour, or per day when the log spans more than two days of hours. */
function histogram(perHour: Record<string, number>, bars: boolean): string[] {
  let buckets = Object.entries(perHour);
  if (buckets.length > 48) {
    const days = new Map<string, number>();
    for (const [k, v] of buckets) days.set(k.slice(0, 10), (days.get(k.slice(0, 10)) ?? 0) + v);
    buckets = [...days];
  }
  const max = Math.max(1, ...buckets.map(([, v]) => v));
  const w = Math.max(0, ...buckets.map(([, v]) => String(v).length));
  return buckets.map(([k, v]) => {
    const n = String(v).padStart(w);
    if (!bars) return `    ${k}  ${n}`;
    const len = Math.max(1, Math.round((BAR * v) / max));
    return `    ${k}  ${n}  ${'█'.repeat(len)}`;
  });
}

export interface SecurityFormatOptions {
  /** Draw the per-hour histogram as bars (on a terminal). */
  bars: boolean;
}

export function formatSecurity(s: SecurityReport, opts: SecurityFormatOptions): string {
  const lines: string[] = [];
  lines.push(`  logins     ${s.loginTotals.ok} ok, ${s.loginTotals.failed} failed`);
  if (s.logins.length) {
    const who = s.logins.map((l) => (l.user === '(other)' ? '(other)' : `${escapeText(l.user)}@${escapeText(l.host)}`));
    const w = Math.max(9, ...who.map((x) => x.length));
    lines.push(`    ${'user@host'.padEnd(w)}  ${'ok'.padStart(6)}  ${'failed'.padStart(6)}  errors`);
    s.logins.forEach((l, i) => {
      const errs = Object.entries(l.errors)
        .map(([k, v]) => `${k} x${v}`)
        .join(', ');
      lines.push(`    ${who[i]!.padEnd(w)}  ${String(l.ok).padStart(6)}  ${String(l.failed).padStart(6)}  ${errs}`.trimEnd());
    });
  }
  lines.push(`  errors     ${counts(s.errors)}`);
  lines.push(`  hosts      ${counts(s.hosts)}`);
  lines.push(`  ips        ${counts(s.ips)}`);
  lines.push(`  databases  ${counts(s.databases)}`);
  lines.push(`  sql        ${counts(s.sqlCommands)}`);
  const p = s.privileged;
  lines.push(`  privileged ${p.count}${p.count ? ` (${counts(p.kinds)})` : ''}`);
  for (const st of p.list.slice(0, PRIVILEGED_SHOWN)) {
    const status = st.status !== null && st.status !== 0 ? `  !${st.status}` : '';
    lines.push(`    ${st.time ?? '-'}  ${escapeText(st.user)}@${escapeText(st.host)}  ${fit(escapeText(st.sql), 80, false)}${status}`);
  }
  if (p.count > PRIVILEGED_SHOWN) lines.push(`    (${p.count - PRIVILEGED_SHOWN} more; --json lists the first ${p.list.length})`);
  const hist = histogram(s.perHour, opts.bars);
  if (hist.length) lines.push(`  per ${Object.keys(s.perHour).length > 48 ? 'day' : 'hour'}`, ...hist);
  return lines.join('\n');
}

/** One line per file: name, format, layers, records, first..last, complete. */
export function formatFileLines(files: InfoReport[]): string {
  const names = files.map((f) => escapeText(f.file));
  const w = Math.max(...names.map((n) => n.length));
  return files
    .map((f, i) => {
      const fmt = (f.format ?? 'unknown') + (f.layers.length ? ` in ${f.layers.join('+')}` : '');
      const complete = f.complete === null ? '' : f.complete ? '  complete' : '  unterminated';
      return `${names[i]!.padEnd(w)}  ${fmt}  ${f.records} records  ${f.first ?? '-'} .. ${f.last ?? '-'}${complete}`;
    })
    .join('\n');
}

export function formatWarnings(ws: FileSetWarning[]): string {
  return ws.map((w) => `Warning: ${escapeText(w.message)}`).join('\n');
}
