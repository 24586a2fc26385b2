import { Args, Command, Flags } from '../cli/core.js';
import { failed, out, passwordFlags, passwordSource, sourceTzFlag } from '../cli/common.js';
import { tellProblem } from '../cli/notes.js';
import { AuditLogError, EXIT } from '../src/errors.js';
import { expandInputs } from '../src/fileset.js';
import { isDataProblem } from '../src/info.js';
import { formatSessionLine, toChunks } from '../src/sessions-read.js';
import { writeStream } from '../src/sink.js';
import { attributeBinlog, whoAt } from '../src/who.js';

export default class Who extends Command {
  static override description =
    'Which session had a connection id at a time (who CONNECTION_ID --at TIME FILES...), or mysqlbinlog text with every event annotated by the login, host, IP and client program of the session that ran it (who --binlog FILE FILES...; - reads the binlog text from stdin). Events whose session is not in the audit files are marked unknown, never guessed.';
  static override examples = [
    '<%= config.bin %> who 15 --at "2025-05-08 08:06:16" audit.log',
    'mysqlbinlog -v --base64-output=DECODE-ROWS binlog.000042 | <%= config.bin %> who --binlog - audit.20250508T000000.log audit.log',
  ];
  static override strict = false;
  static override args = { files: Args.string({ description: 'CONNECTION_ID (without --binlog), then a directory (its audit log set) or the audit log files, oldest first', ignoreStdin: true }) };
  static override flags = {
    at: Flags.string({ description: 'the time (YYYY-MM-DD hh:mm:ss, in the audit files\' zone: UTC for MySQL Enterprise and Percona audit_log; the server\'s local time for Percona audit_log_filter, UTC with --source-tz)', exclusive: ['binlog'] }),
    binlog: Flags.string({ description: 'mysqlbinlog [-v] [--base64-output=DECODE-ROWS] text to annotate (- for stdin)' }),
    'binlog-tz': Flags.string({
      description: 'zone of the binlog header times, used for events without SET TIMESTAMP: local (this process\'s TZ, as mysqlbinlog printed them if run here), UTC, or +hh:mm',
      default: 'local',
    }),
    'source-tz': sourceTzFlag('their times are read as UTC (needed with --binlog, whose times are UTC)'),
    json: Flags.boolean({ description: 'print the session(s) as JSON (with --at), or the summary as JSON on stderr (with --binlog)' }),
    ...passwordFlags,
  };

  async run(): Promise<void> {
    const { argv, flags } = await this.parse(Who);
    const args = argv as string[];
    const password = passwordSource(flags);
    const sourceTz = flags['source-tz'] !== undefined ? { sourceTz: flags['source-tz'] } : {};
    let dataProblems = false;
    const onProblem = (e: AuditLogError) => {
      if (isDataProblem(e.code)) dataProblems = true;
      tellProblem(e);
    };
    try {
      if (flags.binlog !== undefined) {
        if (args.length === 0) this.error('give the audit log files after --binlog FILE', { exit: EXIT.USAGE });
        if (flags.binlog === '-' && args.includes('-')) this.error('stdin can be the binlog text or an audit log, not both', { exit: EXIT.USAGE });
        const { lines, summary } = attributeBinlog(flags.binlog, await expandInputs(args, { password }), { password, onProblem, headerZone: flags['binlog-tz'], ...sourceTz });
        await writeStream(process.stdout, toChunks(lines));
        const unknown = Object.values(summary.unknown).reduce((a, b) => a + b, 0);
        process.stderr.write(flags.json ? JSON.stringify(summary, null, 2) + '\n' : `${summary.events} events, ${summary.attributed} attributed to a session, ${unknown} unknown\n`);
        if (dataProblems) this.exit(EXIT.DATA_PROBLEMS);
        return;
      }
      const [id, ...files] = args;
      if (id === undefined || flags.at === undefined) this.error('give CONNECTION_ID --at TIME and the audit log files, or --binlog FILE and the audit log files', { exit: EXIT.USAGE });
      if (files.length === 0) this.error('give the audit log files to look in', { exit: EXIT.USAGE });
      const a = await whoAt(await expandInputs(files, { password }), /^\d+$/.test(id) ? Number(id) : id, flags.at, { password, onProblem, ...sourceTz });
      if ('unknown' in a) {
        out(flags.json ? JSON.stringify({ connection_id: id, at: flags.at, unknown: a.unknown }, null, 2) : `connection ${id} at ${flags.at}: unknown (${a.unknown.replace(/-/g, ' ')})`);
        this.exit(EXIT.DATA_PROBLEMS);
      }
      out(flags.json ? JSON.stringify(a.sessions, null, 2) : a.sessions.map(formatSessionLine).join('').trimEnd());
    } catch (e) {
      if (e instanceof AuditLogError) failed(this, e, flags.json);
      throw e;
    }
  }
}
