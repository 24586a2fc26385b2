import { Args, Command, Flags } from '../cli/core.js';
import { failed, passwordFlags, passwordSource } from '../cli/common.js';
import { writeStdout } from '../cli/read-output.js';
import { defaultJobs, readJobsFlag, splitBytesFlag } from '../cli/jobs.js';
import { setReport } from '../cli/set-report.js';
import { AuditLogError, EXIT } from '../src/errors.js';
import { parseBookmark, runRead } from '../src/read.js';

export default class Read extends Command {
  static override description =
    "Read a set of rotated audit logs like the server's audit_log_read(): a JSON array of events from a bookmark, a start time or a saved cursor, ending with null when nothing more is left.";
  static override examples = [
    '<%= config.bin %> read /var/lib/mysql --start "2024-05-24 12:30:00" --max-array-length 100',
    `<%= config.bin %> read /var/lib/mysql/audit.log --bookmark '{"timestamp":"2024-05-24 12:30:00","id":0}'`,
    '<%= config.bin %> read /var/lib/mysql --state /var/lib/shipper/audit.state --ndjson',
  ];
  static override strict = false;
  static override args = { files: Args.string({ description: "a directory, the active file's path, or audit log files", ignoreStdin: true }) };
  static override flags = {
    bookmark: Flags.string({ description: 'start at this event: {"timestamp":"YYYY-MM-DD hh:mm:ss","id":N}', exclusive: ['start'] }),
    start: Flags.string({ description: 'start at the first event at or after this time (YYYY-MM-DD[ hh:mm:ss])', exclusive: ['bookmark'] }),
    'max-array-length': Flags.integer({ description: 'at most this many events', min: 1 }),
    ndjson: Flags.boolean({ description: 'one event per line instead of a JSON array' }),
    state: Flags.string({ description: 'cursor file: resume after the last event the previous run printed, and save the new position (written atomically)' }),
    verbose: Flags.boolean({ description: 'list the files read and ignored, and what was parsed, on stderr' }),
    jobs: readJobsFlag,
    'split-bytes': splitBytesFlag,
    ...passwordFlags,
  };

  async run(): Promise<void> {
    const { argv, flags } = await this.parse(Read);
    const args = argv as string[];
    if (args.length === 0) this.error('give a directory, the active file\'s path, or audit log files', { exit: EXIT.USAGE });
    let dataProblems = false;
    try {
      const bookmark = flags.bookmark !== undefined ? parseBookmark(flags.bookmark) : undefined;
      const { set, result } = await runRead(
        {
          paths: args,
          ...(bookmark ? { bookmark } : {}),
          ...(flags.start !== undefined ? { start: flags.start } : {}),
          ...(flags['max-array-length'] ? { maxArrayLength: flags['max-array-length'] } : {}),
          ...(flags.state ? { state: flags.state } : {}),
          ndjson: flags.ndjson,
          jobs: flags.jobs ?? defaultJobs(),
          ...(flags['split-bytes'] !== undefined ? { minBytes: flags['split-bytes'] } : {}),
          password: passwordSource(flags),
          onProblem: (e: AuditLogError) => process.stderr.write(`${e.code === 'UNEXPECTED_DATA' || e.code === 'TRUNCATED_INPUT' ? 'Note' : 'Warning'}: ${e.message}\n`),
        },
        writeStdout,
      );
      if (flags.verbose || set.files.length === 0) process.stderr.write(setReport(set, result.stats, flags.verbose));
      dataProblems = result.dataProblems;
    } catch (e) {
      failed(this, e, false);
    }
    if (dataProblems) this.exit(EXIT.DATA_PROBLEMS);
  }
}
