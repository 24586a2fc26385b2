/**
 * Record writers: Entry -> bytes in a target format, the library side of
 * `auditlog convert`. Pure code, no I/O.
 *
 *   const w = createWriter('json');
 *   out.write(w.header());
 *   for await (const entry of readAuditLog('audit.log')) out.write(w.record(entry));
 *   out.write(w.footer());
 *   console.log(w.summary()); // { written, passedThrough, droppedFields: { 'login.proxy': 12, ... } }
 *
 * A writer is a stateful object for one output file: `header()` once, then
 * `record()` per entry (that record's bytes, including whatever separator
 * belongs before it), then `footer()`.
 *
 * | format | layout | file |
 * |---|---|---|
 * | `new` | MySQL Enterprise NEW XML | src/writers/xml.ts |
 * | `old` | MySQL Enterprise OLD XML, 5.7+ manual layout (one attribute per line) | src/writers/xml.ts |
 * | `json` | MySQL Enterprise JSON, one event per line, 8.0.22 spacing | src/writers/json.ts |
 * | `ndjson` | one compact JSON event per line | src/writers/json.ts |
 * | `csv` | RFC 4180, columns CSV_COLUMNS | src/writers/csv.ts |
 *
 * Same-format pass-through: an entry whose `raw` is present and whose
 * `format` is the target (`new`, `old`, `json`) is written as its original
 * bytes (JSON: without its trailing `,`, with the writer's own separator), so
 * for a complete file `header(prologue) + records + footer` reproduces it byte
 * for byte, and a filtered subset stays valid. A transform that changes an
 * event must therefore drop its `raw`. The `prologue` option (the source's bytes
 * before its first record) becomes the header when it is a valid header of the
 * target (an XML audit header for `new`/`old`, a `[` line for `json`).
 *
 * Fields the target cannot hold are dropped and counted in
 * `summary().droppedFields` by path; what each target drops is listed at the
 * top of each writer's file (JSON, NDJSON and CSV drop nothing).
 */
import { AuditLogError } from '../errors.js';
import { CheckedWriter, type OutputFormat, type RecordWriter, type WriterOptions } from './common.js';
import { CsvWriter } from './csv.js';
import { JsonWriter, NdjsonWriter } from './json.js';
import { XmlWriter } from './xml.js';

export type { EncodedRun, OutputFormat, RecordWriter, WriteSummary, WriterOptions, WriterState } from './common.js';
export { checkEvent, MAX_EVENT_DEPTH } from './common.js';
export { CSV_COLUMNS, csvField, csvRow, csvSafeCell } from './csv.js';
export { formatJsonEvent, isJsonArrayHeader, JSON_FOOTER, JSON_HEADER } from './json.js';
export { connectionTypeToXml, isXmlAuditHeader, jsonTimestampToXml, XML_FOOTER, XML_HEADER, xmlEscape } from './xml.js';

export const OUTPUT_FORMATS: readonly OutputFormat[] = ['new', 'old', 'json', 'ndjson', 'csv'];

/**
 * A writer for one output file in `format`, behind the shared per-event check
 * (nesting deeper than MAX_EVENT_DEPTH is MALFORMED_RECORD). An unknown format is INVALID_OPTION.
 */
export function createWriter(format: OutputFormat, opts: WriterOptions = {}): RecordWriter {
  return new CheckedWriter(createBareWriter(format, opts));
}

function createBareWriter(format: OutputFormat, opts: WriterOptions): RecordWriter {
  switch (format) {
    case 'new':
    case 'old':
      return new XmlWriter(format, opts);
    case 'json':
      return new JsonWriter(opts);
    case 'ndjson':
      return new NdjsonWriter();
    case 'csv':
      return new CsvWriter(opts);
    default:
      throw new AuditLogError('INVALID_OPTION', `unknown output format ${JSON.stringify(format)} (expected one of ${OUTPUT_FORMATS.join(', ')})`, {
        stage: 'write',
        recoverable: false,
      });
  }
}
