/**
 * auditlog: read, convert and check MySQL Enterprise Audit and Percona audit log files.
 *
 *   import { readAuditLog, convert, inspect } from 'auditlog';
 *   for await (const entry of readAuditLog('audit.log.gz')) console.log(entry.event.timestamp);
 */
export type { AuditEvent, Entry, FormatId, JsonValue, Position } from './entry.js';
export { FORMAT_IDS } from './entry.js';
export { AuditLogError, EXIT } from './errors.js';
export type { AuditLogErrorCode, ErrorContext, Stage } from './errors.js';
export { detectFormat } from './detect.js';
export { AuditLogReader, AuditReader, createScanner, parseAll, readAuditLog, readBytes } from './reader.js';
export type { AuditReaderOptions, InputInfo, InputSeen, ReadOptions, Source } from './reader.js';
export { openInput } from './input.js';
export type { Input, InputOptions, LayerParams } from './input.js';
export { IdStage } from './ids.js';
export type { IdState } from './ids.js';
export { findBoundary } from './scanners/boundary.js';
export type { Scanner, ScanItem, ScannerOptions } from './scanners/scanner.js';
export { XmlScanner } from './scanners/xml.js';
export { JsonScanner } from './scanners/json.js';
export { PerconaCsvScanner } from './scanners/percona-csv.js';
export { createIdSequencer, fieldsToEvent } from './mapping.js';
export type { Fields, IdSequencer } from './mapping.js';
export { compileFilter } from './filter.js';
export type { FilterSpec } from './filter.js';
export { createWriter, OUTPUT_FORMATS } from './writers/index.js';
export type { OutputFormat, RecordWriter, WriteSummary, WriterOptions } from './writers/index.js';
export { convert, convertInto } from './convert.js';
export type { ConvertOptions, ConvertSummary, InputSummary, SinkFactory } from './convert.js';
export { combine, inspect } from './info.js';
export type { InfoReport, ProblemReport } from './info.js';
export { createPasswordSource, openLayers, staticPassword, wrapOutput } from './layers/index.js';
export type { LayerId, PasswordEntry, PasswordSource } from './layers/index.js';
export { writeAtomic, writeStream } from './sink.js';
export { Channel } from './sinks/entry-sink.js';
export type { EntrySink, SinkFile, SinkSummary } from './sinks/entry-sink.js';
export { createFileSink, FileSink } from './sinks/file.js';
export type { FileSinkOptions } from './sinks/file.js';
export { createRotatingSink, RotatingSink } from './sinks/rotating.js';
export type { RotatingSinkOptions } from './sinks/rotating.js';
export { activeName, setLayout, listRotated, NAMINGS, rotatedName } from './sinks/naming.js';
export type { SetLayout, SetLayoutOptions, Naming, RotatedFile } from './sinks/naming.js';
export { prune, pruneCandidates } from './sinks/rotation.js';
export type { PruneOptions, RotationPolicy } from './sinks/rotation.js';
export { rotateLog } from './rotate.js';
export type { RotateOptions, RotateReport } from './rotate.js';
