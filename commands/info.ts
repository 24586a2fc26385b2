import { Args, Command, Flags } from '../cli/core.js';
import { formatInfo } from '../cli/info-report.js';
import { formatFileLines, formatSecurity, formatWarnings } from '../cli/info-security-report.js';
import { failed, inputs, out, passwordFlags, passwordSource, sourceTzFlag } from '../cli/common.js';
import { oneJobPerCore, infoJobsFlag, splitBytesFlag } from '../cli/jobs.js';
import { filterFlags, filterSpec } from '../cli/filter-flags.js';
import { progress, quietFlag } from '../cli/progress.js';
import { AuditLogError, EXIT } from '../src/errors.js';
import { fileSetWarnings } from '../src/file-set.js';
import { expandInputs } from '../src/fileset.js';
import { compileFilter, unknownEventWarning } from '../src/filter.js';
import { combine, hasDataProblems, problemReport, type InfoReport } from '../src/info.js';
import { inspectInputs } from '../src/parallel/info.js';
import { isUnreadable } from '../src/problems.js';
import { escapeControls } from '../src/text.js';
import { SecurityTally } from '../src/security.js';
import { createDbTracker } from '../src/track-db.js';

export default class Info extends Command {
  static override summary = 'Show what audit logs are and what is in them, and who did what.';
  static override description =
    'Format, layers, completeness, records, time span, events, users, problems with their positions; logins and failed logins per user and host with error codes, errors per code, hosts, IPs, databases, SQL command kinds, privileged statements (GRANT, REVOKE, CREATE/DROP/ALTER USER, SET PASSWORD) with time and user, events per hour. Several files: one line each, the totals, and warnings for gaps in time, overlaps and duplicated files. The filters narrow what is counted.';
  static override examples = [
    '<%= config.bin %> info audit.log',
    '<%= config.bin %> info audit.20190415T151322.log audit.log',
    '<%= config.bin %> info audit.log.gz --user app --since "2019-10-03 14:00"',
    '<%= config.bin %> info --json audit.log | jq .security.privileged.list',
    'zcat audit.log.gz | <%= config.bin %> info',
  ];
  static override strict = false;
  static override args = {
    files: Args.string({ description: 'audit log files to inspect (- for stdin; none and stdin not a terminal: stdin); a directory means its rotated set, oldest first', ignoreStdin: true }),
  };
  static override flags = {
    json: Flags.boolean({ description: 'print the report as one JSON object' }),
    'track-db': Flags.boolean({ description: "follow each connection's default database (across all inputs, in order) and count events by database; reads the inputs one after the other, on one thread" }),
    jobs: infoJobsFlag,
    'split-bytes': splitBytesFlag,
    'source-tz': sourceTzFlag('their times are shown in UTC'),
    quiet: quietFlag,
    ...filterFlags,
    ...passwordFlags,
  };

  async run(): Promise<void> {
    const { argv, flags } = await this.parse(Info);
    const files = inputs(this, argv as string[]);
    const unknownEvent = unknownEventWarning(flags.event);
    if (unknownEvent) process.stderr.write(`Warning: ${unknownEvent}\n`);
    const spec = filterSpec(flags);
    const filtering = Object.entries(spec).some(([k, v]) => k !== 'ignoreCase' && v !== undefined);
    const reports: InfoReport[] = [];
    const security = new SecurityTally();
    // Every readable input is reported; the unreadable ones are named after, and the exit is 3.
    const unreadable: AuditLogError[] = [];
    let bar = progress([], { quiet: true });
    try {
      compileFilter(spec);
      const password = passwordSource(flags);
      const trackDb = flags['track-db'] ? createDbTracker() : undefined;
      const expanded = await expandInputs(files, { password });
      bar = progress(expanded, { quiet: flags.quiet || flags.json });
      const outcomes = inspectInputs(expanded, {
        jobs: flags.jobs ?? oneJobPerCore(),
        ...(flags['split-bytes'] !== undefined ? { splitBytes: flags['split-bytes'], minBytes: flags['split-bytes'] } : {}),
        password,
        security,
        ...(flags['source-tz'] !== undefined ? { sourceTz: flags['source-tz'] } : {}),
        ...(trackDb ? { trackDb } : {}),
        ...(filtering ? { filter: spec } : {}),
        onProgress: (file, disk, decoded, n) => bar.update(file, disk, decoded, n),
      });
      for await (const o of outcomes) {
        if (o.error) {
          const e = o.error;
          if (!(e instanceof AuditLogError) || !isUnreadable(e) || expanded.length === 1) throw e;
          unreadable.push(e);
          continue;
        }
        reports.push(o.report);
      }
      if (!reports.length && unreadable.length) throw unreadable[0];
    } catch (e) {
      bar.done();
      return failed(this, e, flags.json);
    }
    bar.done();
    const total = { ...combine(reports), unreadable: unreadable.map(problemReport) };
    const sec = security.report();
    const warnings = await fileSetWarnings(reports);
    if (flags.json) {
      out(JSON.stringify({ ...total, security: sec, warnings }, null, 2));
    } else {
      const parts: string[] = [];
      if (reports.length > 1) {
        parts.push(formatFileLines(reports), '');
        const name = `total (${reports.length} files)`;
        parts.push(formatInfo({ ...total, file: name, files: [{ ...total, file: name }] }));
      } else parts.push(formatInfo(total));
      if (total.filtered !== undefined) parts.push(`  filtered   ${total.filtered} records did not match the filters`);
      parts.push(formatSecurity(sec, { bars: process.stdout.isTTY === true }));
      out(parts.join('\n'));
      if (warnings.length) process.stderr.write(formatWarnings(warnings) + '\n');
    }
    for (const e of unreadable) process.stderr.write(`Error: ${escapeControls(e.message)}\n`);
    if (unreadable.length) this.exit(EXIT.INPUT_UNUSABLE);
    if (hasDataProblems(total)) this.exit(EXIT.DATA_PROBLEMS);
  }
}
