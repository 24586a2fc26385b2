import { Args, Command, Flags } from '@oclif/core';
import { formatInfo } from '../cli/info-report.js';
import { failed, inputs, out, passwordFlags, passwordSource } from '../cli/common.js';
import { EXIT } from '../src/errors.js';
import { expandInputs } from '../src/fileset.js';
import { combine, hasDataProblems, inspect, type InfoReport } from '../src/info.js';
import { createDbTracker } from '../src/track-db.js';

export default class Info extends Command {
  static override description = 'Show what an audit log is and what is in it: format, completeness, records, time span, events, users, problems.';
  static override examples = [
    '<%= config.bin %> info audit.log',
    '<%= config.bin %> info --json audit.20190415T151322.log audit.log',
  ];
  static override strict = false;
  static override args = {
    files: Args.string({ description: 'audit log files to inspect (- for stdin); a directory means its rotated set, oldest first' }),
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
    try {
      const password = passwordSource(flags);
      const trackDb = flags['track-db'] ? createDbTracker() : undefined;
      const readOpts = { password, ...(flags['source-tz'] !== undefined ? { sourceTz: flags['source-tz'] } : {}), ...(trackDb ? { trackDb } : {}) };
      for (const f of await expandInputs(files, { password })) reports.push(await inspect(f, readOpts));
    } catch (e) {
      failed(this, e, flags.json);
    }
    const total = combine(reports);
    out(flags.json ? JSON.stringify(total, null, 2) : formatInfo(total));
    if (hasDataProblems(total)) this.exit(EXIT.DATA_PROBLEMS);
  }
}
