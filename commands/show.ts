import { Args, Command, Flags } from '../cli/core.js';
import { failed, inputs, passwordFlags, passwordSource } from '../cli/common.js';
import { filterFlags, filterSpec } from '../cli/filter-flags.js';
import { createLineOutput } from '../cli/pager.js';
import { isNote, progress, quietFlag } from '../cli/progress.js';
import { createTable, DEFAULT_FIELDS, resolveColumns, tsvRows, verticalRecord } from '../cli/show-format.js';
import { showJobs, showJobsFlag, splitBytesFlag } from '../cli/jobs.js';
import { convertInto, type ConvertOptions } from '../src/convert.js';
import type { AuditEvent } from '../src/entry.js';
import { AuditLogError, EXIT } from '../src/errors.js';
import { expandInputs } from '../src/fileset.js';
import { compileFilter, unknownEventWarning } from '../src/filter.js';
import { createEventSink, EVENT_SINK_FORMAT } from '../src/sinks/events.js';

export default class Show extends Command {
  static override summary = 'Show matching records: a table on a terminal, tab-separated rows when piped.';
  static override description =
    'Show matching records for a person: on a terminal a table sized to its width (paged when longer than the screen), --vertical one field per line; piped, tab-separated rows. Exits 1 when nothing matched, as grep does. Failed records (status not 0) are marked with ! (and red on a terminal; NO_COLOR turns colour off).';
  static override examples = [
    '<%= config.bin %> show audit.log --user root',
    '<%= config.bin %> show audit.log.gz --status error --vertical',
    '<%= config.bin %> show audit.log --grep "drop table" -i --fields time,user@host,login.ip,sql',
    '<%= config.bin %> show audit.*.log --event Connect --count',
    '<%= config.bin %> show /var/lib/mysql --user root --since 2019-10-03',
    'zcat audit.log.gz | <%= config.bin %> show --user root',
    '<%= config.bin %> show audit.log --since "2019-10-03 14:00" | cut -f3 | sort | uniq -c',
  ];
  static override strict = false;
  static override args = { files: Args.string({ description: 'audit log files (- for stdin); a directory means its rotated set, oldest first', ignoreStdin: true }) };
  static override flags = {
    vertical: Flags.boolean({ char: 'V', description: 'one field per line under a "*** N. row ***" banner (every field, or those of --fields)' }),
    fields: Flags.string({
      char: 'f',
      description: `comma-separated columns: ${DEFAULT_FIELDS.join(', ')}, user, host, db, or a path into the event (login.ip, general_data.sql_command) [default: ${DEFAULT_FIELDS.join(',')}]`,
    }),
    limit: Flags.integer({ char: 'n', description: 'stop after N matching records', min: 1 }),
    count: Flags.boolean({ char: 'c', description: 'print only the number of matching records' }),
    pager: Flags.boolean({ description: 'page through $PAGER (default less) when the output is longer than the terminal', allowNo: true, default: true }),
    quiet: quietFlag,
    jobs: showJobsFlag,
    'split-bytes': splitBytesFlag,
    ...filterFlags,
    ...passwordFlags,
  };

  async run(): Promise<void> {
    const { argv, flags } = await this.parse(Show);
    const files = inputs(this, argv as string[]);
    const unknownEvent = unknownEventWarning(flags.event);
    if (unknownEvent) process.stderr.write(`Warning: ${unknownEvent}\n`);
    const tty = process.stdout.isTTY === true;
    const colour = tty && !process.env.NO_COLOR;
    let bar = progress([], { quiet: true });
    const out = createLineOutput({ page: tty && flags.pager && !flags.count, rows: process.stdout.rows || 24, beforeWrite: () => bar.clear() });
    // Notes wait while a pager holds the terminal (the first 100; the rest are counted).
    const heldNotes: string[] = [];
    let moreNotes = 0;
    const note = (e: AuditLogError) => {
      if (isNote(e) && flags.quiet) return;
      const line = `${isNote(e) ? 'Note' : 'Warning'}: ${e.message}`;
      if (!out.paging) {
        bar.clear();
        process.stderr.write(line + '\n');
      } else if (heldNotes.length < 100) heldNotes.push(line);
      else moreNotes++;
    };
    const cols = flags.fields ? resolveColumns(flags.fields.split(',').map((s) => s.trim()).filter(Boolean)) : undefined;
    const tableCols = cols ?? resolveColumns(DEFAULT_FIELDS);
    const table = createTable(tableCols, { width: process.stdout.columns || 80, colour });
    const render = (events: AuditEvent[], n: number): string[] => {
      if (flags.vertical) return events.flatMap((e, i) => verticalRecord(e, n + i + 1, cols, colour));
      return tty ? table.rows(events) : tsvRows(tableCols, events);
    };
    let shown = 0;
    let dataProblems = false;
    // Matching records, in order: false once no more are wanted (the limit, or the pager quit).
    const sink = createEventSink(async (events) => {
      let batch = events;
      if (flags.limit !== undefined && shown + batch.length > flags.limit) batch = batch.slice(0, flags.limit - shown);
      // Empty batches too for a table on a terminal: rows held for sizing go out in time.
      if (!batch.length && (flags.count || flags.vertical || !tty)) return true;
      if (!flags.count && !(await out.write(render(batch, shown)))) return false;
      shown += batch.length;
      return shown !== flags.limit;
    });
    try {
      const filter = filterSpec(flags);
      compileFilter(filter);
      const password = passwordSource(flags);
      const expanded = await expandInputs(files, { password });
      bar = progress(expanded, { quiet: flags.quiet });
      // Damaged records are noted and skipped; an input that cannot be read stops the run.
      const opts: ConvertOptions = {
        to: EVENT_SINK_FORMAT,
        filter,
        password,
        onError: 'skip',
        unreadable: 'fail',
        onProblem: note,
        onProgress: (log, records) => out.paging || bar.update(log.file, log.inputBytesRead, log.layers.length ? log.bytesRead : undefined, records),
      };
      const job = showJobs(flags);
      // The workers' code is loaded only when they may be used.
      const summary =
        job.jobs > 1
          ? await (await import('../src/parallel/convert.js')).convertIntoWithJobs(expanded, () => sink, opts, { ...job, onProgress: (file, disk, decoded, records) => out.paging || bar.update(file, disk, decoded, records) })
          : await convertInto(expanded, () => sink, opts);
      dataProblems = summary.dataProblems;
      bar.done();
      if (flags.count) await out.write([String(shown)]);
      else if (!flags.vertical && tty) await out.write(table.end());
      await out.end();
    } catch (e) {
      bar.done();
      await out.end();
      if (e instanceof AuditLogError) return failed(this, e, false);
      throw e;
    }
    for (const l of heldNotes) process.stderr.write(l + '\n');
    if (moreNotes) process.stderr.write(`(${moreNotes} more notes)\n`);
    if (shown === 0 || dataProblems) this.exit(EXIT.DATA_PROBLEMS);
  }
}
