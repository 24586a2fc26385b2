import { Args, Command, Flags } from '../cli/core.js';
import { cleanUpOnSignals, failed, inputs, passwordFlags, passwordSource, sourceTzFlag } from '../cli/common.js';
import { tellProblem } from '../cli/notes.js';
import { progress } from '../cli/progress.js';
import { EXIT } from '../src/errors.js';
import { expandInputs } from '../src/fileset.js';
import { DEFAULT_MAX_OPEN } from '../src/sessions.js';
import { readSessions, renderSessions, toChunks, type SessionFormat, type SessionsResult } from '../src/sessions-read.js';
import { writeAtomic, writeStream } from '../src/sink.js';

// Non-greedy: `--user root audit.log` takes one value, so the file stays a file (repeat the flag for more).
const many = (description: string) => Flags.string({ description, multiple: true, multipleNonGreedy: true, helpGroup: 'FILTER' });

export default class Sessions extends Command {
  static override description =
    'One row per connection: who (login and account user, host, IP, OS user, client program, pid, version, OS), when (connect, disconnect, duration), which databases, how many statements and errors, failed logins, and sessions open at the start or end of the input. Several inputs (rotated files, oldest first) are read in order as one stream; a server restart closes every open session. Rows are written as sessions end.';
  static override examples = [
    '<%= config.bin %> sessions /var/lib/mysql',
    '<%= config.bin %> sessions audit.20190415T151322.log.gz audit.log',
    '<%= config.bin %> sessions audit.log --to csv -o sessions.csv',
    '<%= config.bin %> sessions audit.log --user root --since "2019-10-03 14:00"',
  ];
  static override strict = false;
  static override args = { files: Args.string({ description: 'a directory (its audit log set), or audit log files, oldest first (- for stdin)', ignoreStdin: true }) };
  static override flags = {
    to: Flags.string({ description: 'output: text (one line per session), ndjson, csv', options: ['text', 'ndjson', 'csv'], default: 'text' }),
    json: Flags.boolean({ description: 'one JSON document: {"sessions": [...], "summary": {...}}', exclusive: ['to'] }),
    output: Flags.string({ char: 'o', description: 'write to FILE (atomically, mode 0600) instead of stdout' }),
    'source-tz': sourceTzFlag('their times are read as UTC (rows of local times carry time_zone local)'),
    'max-open': Flags.integer({ description: `open sessions held at once; past it the oldest is written out as evicted (default ${DEFAULT_MAX_OPEN})`, min: 1 }),
    user: many('login, account or changed-to user'),
    host: many('host'),
    ip: many('client IP'),
    db: many('a database the session used'),
    'connection-id': many('connection id'),
    since: Flags.string({ description: 'sessions still open at or after this time', helpGroup: 'FILTER' }),
    until: Flags.string({ description: 'sessions open at or before this time; a date alone means the whole day', helpGroup: 'FILTER' }),
    ...passwordFlags,
  };

  async run(): Promise<void> {
    const { argv, flags } = await this.parse(Sessions);
    const args = inputs(this, argv as string[]);
    const to: SessionFormat = flags.json ? 'json' : (flags.to as SessionFormat);
    cleanUpOnSignals();
    let result: SessionsResult;
    let bar = progress([]);
    try {
      const password = passwordSource(flags);
      const files = await expandInputs(args, { password });
      bar = progress(files);
      const read = readSessions(files, {
        to,
        filter: { user: flags.user, host: flags.host, ip: flags.ip, db: flags.db, connectionId: flags['connection-id'], since: flags.since, until: flags.until },
        password,
        ...(flags['source-tz'] !== undefined ? { sourceTz: flags['source-tz'] } : {}),
        ...(flags['max-open'] !== undefined ? { maxOpen: flags['max-open'] } : {}),
        onCapReached: (n) => process.stderr.write(`Note: ${n} sessions open at once (--max-open): the oldest open ones are written out early, marked evicted\n`),
        onProblem: tellProblem,
        onProgress: (log, records) => bar.update(log.file, log.inputBytesRead, log.layers.length ? log.bytesRead : undefined, records),
      });
      result = read.result;
      const chunks = toChunks(renderSessions(read.sessions, to, result));
      if (flags.output) await writeAtomic(flags.output, chunks);
      else await writeStream(process.stdout, chunks);
    } catch (e) {
      bar.done();
      failed(this, e, flags.json);
    }
    bar.done();
    const s = result.sessions;
    process.stderr.write(
      `${result.written} sessions written${flags.output ? ` to ${flags.output}` : ''} (${s.sessions} in all: ${s.failedLogins} failed logins, ${s.openAtStart} open at start, ${s.openAtEnd} open at end, ${s.closedByRestart} closed by a restart, ${s.evicted} evicted; ${result.records} records read)\n`,
    );
    if (result.dataProblems) this.exit(EXIT.DATA_PROBLEMS);
  }
}
