/**
 * What `read` and `bookmark` say on stderr about the file set: the files in
 * reading order, the files ignored, and what reading cost.
 *
 *   process.stderr.write(setReport(set, stats, verbose));
 */
import type { FileSet } from '../src/fileset.js';
import type { ReadStats } from '../src/read.js';

export function setReport(set: FileSet, stats: ReadStats, verbose: boolean): string {
  const lines: string[] = [];
  if (set.files.length === 0) lines.push(`Note: no audit log files found${set.dir ? ` in ${set.dir}` : ''}${set.ignored.length && !verbose ? ` (${set.ignored.length} other files ignored; --verbose lists them)` : ''}`);
  if (verbose) {
    for (const f of set.files) lines.push(`file    ${f.path} (${f.format ?? 'no record yet'}, first event ${f.first ?? '-'}${f.active ? ', active' : ''})`);
    for (const p of set.ignored) lines.push(`ignored ${p}`);
    lines.push(`read    ${stats.filesRead.length} of ${set.files.length} files beyond their first bytes; ${stats.bytesParsed} bytes parsed, ${stats.bytesIn} bytes read, ${stats.probes} search probes`);
  }
  return lines.length ? lines.join('\n') + '\n' : '';
}
