import { Args, Command, Flags } from '@oclif/core';
import { formatInfo } from '../cli/info-report.js';
import { failed, inputs, out, passwordFlags, passwordSource } from '../cli/common.js';
import { AuditLogError, EXIT } from '../src/errors.js';
import { expandInputs } from '../src/fileset.js';
import { isUnreadable } from '../src/problems.js';
import { escapeControls } from '../src/text.js';
import { createDbTracker } from '../src/track-db.js';
import { combine, hasDataProblems, inspect, problemReport, type InfoReport } from '../src/info.js';

export default class Info extends Command {
  static override description = 'Show what an audit log is and what is in it: format, completeness, records, time span, events, users, problems.';
  static override examples = [
    '<%= config.bin %> info audit.log',
    '<%= config.bin %> info --json audit.20190415T151322.log audit.log',
  ];
  static override strict = false;
  static override args = {
    files: Args.string({ description: 'audit log files to inspect (- for stdin; none and stdin not a terminal: stdin); a directory means its rotated set, oldest first', ignoreStdin: true }),
  };
  static override flags = {
    json: Flags.boolean({ description: 'print the report as one JSON object' }),
    'track-db': Flags.boolean({ description: "follow each connection's default database (across all inputs, in order) and count events by database" }),
    'source-tz': Flags.string({ description: 'zone of local-time logs (Percona audit_log_filter): IANA name (Europe/Berlin) or +hh:mm; their times are shown in UTC' }),
    ...passwordFlags,
  };

  async run(): Promise<void> {
    const { argv, flags } = await this.parse(Info);
    const files = inputs(this, argv as string[]);
    const reports: InfoReport[] = [];
    // Every readable input is reported; the unreadable ones are named after, and the exit is 3.
    const unreadable: AuditLogError[] = [];
    const password = passwordSource(flags);
    const trackDb = flags['track-db'] ? createDbTracker() : undefined;
    const readOpts = { password, ...(flags['source-tz'] !== undefined ? { sourceTz: flags['source-tz'] } : {}), ...(trackDb ? { trackDb } : {}) };
    let all: string[];
    try {
      all = await expandInputs(files, { password });
    } catch (e) {
      return failed(this, e, flags.json);
    }
    for (const f of all) {
      try {
        reports.push(await inspect(f, readOpts));
      } catch (e) {
        if (!(e instanceof AuditLogError) || !isUnreadable(e) || all.length === 1) return failed(this, e, flags.json);
        unreadable.push(e);
      }
    }
    if (!reports.length) return failed(this, unreadable[0], flags.json);
    const total = { ...combine(reports), unreadable: unreadable.map(problemReport) };
    out(flags.json ? JSON.stringify(total, null, 2) : formatInfo(total));
    for (const e of unreadable) process.stderr.write(`Error: ${escapeControls(e.message)}\n`);
    if (unreadable.length) this.exit(EXIT.INPUT_UNUSABLE);
    if (hasDataProblems(total)) this.exit(EXIT.DATA_PROBLEMS);
  }
}
