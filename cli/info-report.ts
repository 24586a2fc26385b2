/**
 * Human rendering of an `info` report.
 *
 *   process.stdout.write(formatInfo(report));
 */
import type { InfoReport, ProblemReport } from '../src/info.js';
import { escapeControls } from '../src/text.js';

export const FORMAT_NAMES: Record<string, string> = {
  new: 'MySQL Enterprise NEW XML',
  old: 'MySQL Enterprise OLD XML',
  json: 'MySQL Enterprise JSON',
  'percona-new': 'Percona audit_log plugin NEW XML',
  'percona-old': 'Percona audit_log plugin OLD XML',
  'percona-json': 'Percona audit_log plugin JSON',
  'percona-csv': 'Percona audit_log plugin CSV',
  mixed: 'several formats',
};

function top(m: Record<string, number>, n = 8): string {
  const e = Object.entries(m).sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1));
  const shown = e.slice(0, n).map(([k, v]) => `${k === '' ? '""' : k} ${v}`);
  if (e.length > n) shown.push(`(${e.length - n} more)`);
  return shown.join(', ') || '-';
}

function where(p: ProblemReport): string {
  const at = [p.file, p.offset !== undefined ? `byte ${p.offset}` : '', p.index !== undefined ? `record #${p.index}` : '']
    .filter(Boolean)
    .join(': ');
  return `${at}: ${p.message}`;
}

function one(r: InfoReport): string[] {
  const lines = [r.file];
  const fmt = r.format ? `${r.format} (${FORMAT_NAMES[r.format] ?? r.format})` : 'unknown';
  const layers = r.layers.length ? `, inside ${r.layers.join(' + ')}` : '';
  const complete = r.complete === null ? '' : r.complete ? ', complete' : ', unterminated (no footer)';
  lines.push(`  format     ${fmt}${layers}${complete}`);
  lines.push(`  records    ${r.records} (${r.bytes} bytes)`);
  lines.push(`  time       ${r.first ?? '-'} .. ${r.last ?? '-'}${r.timeZone ? ` (${r.timeZone})` : ''}`);
  lines.push(`  events     ${top(r.events)}`);
  if (Object.keys(r.commands).length) lines.push(`  commands   ${top(r.commands)}`);
  lines.push(`  users      ${top(r.users)}`);
  if (r.databases) lines.push(`  databases  ${top(r.databases)}`);
  lines.push(`  malformed  ${r.counts.malformed || 'none'}`);
  for (const p of r.malformed.slice(0, 20)) lines.push(`    ${where(p)}`);
  if (r.counts.malformed > 20) lines.push(`    (${r.counts.malformed - 20} more; --json lists the first ${r.malformed.length})`);
  if (r.truncated.length) lines.push(`  truncated  ${r.truncated.slice(0, 5).map(where).join('; ')}`);
  for (const p of r.notices.slice(0, 5)) lines.push(`  note       ${where(p)}`);
  if (r.counts.notices > 5) lines.push(`  note       (${r.counts.notices - 5} more; --json lists the first ${r.notices.length})`);
  return lines;
}

/** The lines of a report, each with control characters escaped: a value (a user name, a file name) cannot act on the terminal. */
function shown(r: InfoReport): string {
  return one(r).map(escapeControls).join('\n');
}

export function formatInfo(total: InfoReport & { files: InfoReport[] }): string {
  if (total.files.length === 1) return shown(total.files[0]!);
  const parts = total.files.map(shown);
  parts.push(shown({ ...total, file: `total (${total.files.length} files)` }));
  return parts.join('\n\n');
}
