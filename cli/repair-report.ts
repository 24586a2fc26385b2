/**
 * Human rendering of a `repair` report.
 *
 *   process.stdout.write(formatRepair(report, { check: false, dryRun: false }));
 */
import type { ProblemReport, RepairReport } from '../src/repair/index.js';
import { FORMAT_NAMES } from './info-report.js';

const RAW_SHOWN = 300;

function at(p: { offset?: number; index?: number | null }): string {
  return [p.offset !== undefined ? `byte ${p.offset}` : '', p.index !== undefined && p.index !== null ? `record #${p.index}` : ''].filter(Boolean).join(', ');
}

function problem(p: ProblemReport): string {
  return `${at(p)}: ${p.code}: ${p.message}`;
}

function shown(s: string): string {
  const t = s.length > RAW_SHOWN ? `${s.slice(0, RAW_SHOWN)}...` : s;
  return JSON.stringify(t);
}

/**
 * The report as lines of text.
 * @param r the report
 * @param mode whether nothing was written (check, dry run)
 * @returns text ending with a newline
 */
export function formatRepair(r: RepairReport, mode: { check: boolean; dryRun: boolean }): string {
  const layers = r.layers.length ? r.layers.map((l) => (l.layer === 'gzip' ? 'gzip' : `aes-256-cbc (${l.kdf === 'pbkdf2' ? `PBKDF2, ${l.iterations} iterations` : 'EVP_BytesToKey'})`)).join(' > ') : 'plain';
  const lines = [`${r.file}`, `  format     ${r.format} (${FORMAT_NAMES[r.format] ?? r.format}), ${layers}`];
  lines.push(`  state      ${r.whole ? 'whole: nothing to repair' : mode.check ? 'needs repair' : mode.dryRun ? 'needs repair; dry run: nothing written' : 'repaired'}`);
  lines.push(`  read       ${r.method === 'tail' ? `from the end: ${r.bytesParsed} of ${r.bytes} bytes parsed` : `whole: ${r.bytesParsed} bytes parsed`}`);
  if (r.recordsKept !== null) lines.push(`  kept       ${r.recordsKept} complete records${r.lastRecord ? `, the last at bytes ${r.lastRecord.offset}..${r.lastRecord.end}` : ''}`);
  else if (r.lastRecord) lines.push(`  kept       every record up to byte ${r.lastRecord.end} (not counted: the file was read from its end)`);
  if (r.cut) {
    lines.push(`  cut        ${r.cut.bytes} bytes from byte ${r.cut.offset}${r.cut.index !== null ? ` (record #${r.cut.index} on)` : ''}${r.cut.nulBytes ? `, of which ${r.cut.nulBytes} trailing NUL bytes` : ''}`);
    for (const p of r.cut.problems.slice(0, 5)) lines.push(`    ${problem(p)}`);
  }
  if (r.headerAdded) lines.push(`  header     ${JSON.stringify(r.headerAdded)} added`);
  if (r.footerAdded) lines.push(`  footer     ${JSON.stringify(r.footerAdded)} added`);
  if (r.salvagedCount) {
    lines.push(`  salvaged   ${r.salvagedCount} removed from the middle (malformed records, stray text):`);
    for (const s of r.salvaged) {
      lines.push(`    ${problem(s)}`);
      if (s.raw !== undefined) lines.push(`      ${shown(s.raw)}`);
    }
    if (r.salvaged.length < r.salvagedCount) lines.push(`    (${r.salvagedCount - r.salvaged.length} more)`);
  }
  if (r.problemsLeft) lines.push(`  left       ${r.problemsLeft} malformed record${r.problemsLeft === 1 ? '' : 's'} or stray text before the cut, left in place (--salvage removes them)`);
  for (const p of r.layerProblems) lines.push(`  layer      ${p.code}: ${p.message}`);
  if (r.output) lines.push(`  written    ${r.output === '-' ? 'to stdout' : r.output}`);
  if (r.backup) lines.push(`  backup     ${r.backup}`);
  return lines.join('\n') + '\n';
}
