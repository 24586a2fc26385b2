import { Args, Command, Flags } from '@oclif/core';
import { cleanUpOnSignals, failed, inputs, passwordFlags, passwordSource } from '../cli/common.js';
import { filterFlags, filterSpec } from '../cli/filter-flags.js';
import { noteProblem, progress, quietFlag } from '../cli/progress.js';
import { convert, type ConvertSummary } from '../src/convert.js';
import { EXIT } from '../src/errors.js';
import { expandInputs } from '../src/fileset.js';
import { unknownEventWarning } from '../src/filter.js';

export default class Convert extends Command {
  static override description =
    'Convert audit logs (any format, gzip, AES) to another format, filtered. Several inputs are read in order as one stream. Repeated filter flags OR, different flags AND.';
  static override examples = [
    '<%= config.bin %> convert audit.log --to json -o audit.json',
    '<%= config.bin %> convert audit.*.log.gz --to ndjson --user root --status error',
    '<%= config.bin %> convert audit.log.enc --password-file pw --to new --since "2019-10-03 14:00:00" --until 2019-10-03',
  ];
  static override strict = false;
  static override args = { files: Args.string({ description: 'audit log files (- for stdin); a directory means its rotated set, oldest first', ignoreStdin: true }) };
  static override flags = {
    to: Flags.string({ description: 'output format', options: ['new', 'old', 'json', 'ndjson', 'csv'], required: true }),
    output: Flags.string({ char: 'o', description: 'write to FILE (atomically, mode 0600) instead of stdout' }),
    'on-error': Flags.string({ description: 'at a malformed record: fail (stop, no output file) or skip (count it, go on, exit 1)', options: ['fail', 'skip'], default: 'fail' }),
    compress: Flags.boolean({ description: 'gzip the output' }),
    encrypt: Flags.boolean({ description: 'AES-256-CBC encrypt the output (password from the password flags)', helpGroup: 'ENCRYPTION' }),
    json: Flags.boolean({ description: 'print the summary as JSON (on stdout with -o, else on stderr)' }),
    'track-db': Flags.boolean({ description: "write each connection's default database into general and table-access events that carry none (across all inputs, in order; unknown stays absent)" }),
    'source-tz': Flags.string({ description: 'zone of local-time logs (Percona audit_log_filter): IANA name (Europe/Berlin) or +hh:mm; their times are converted to UTC' }),
    quiet: quietFlag,
    ...filterFlags,
    ...passwordFlags,
  };

  async run(): Promise<ConvertSummary> {
    const { argv, flags } = await this.parse(Convert);
    const files = inputs(this, argv as string[]);
    const filter = filterSpec(flags);
    const unknownEvent = unknownEventWarning(flags.event);
    if (unknownEvent) process.stderr.write(`Warning: ${unknownEvent}\n`);
    cleanUpOnSignals();
    const bar = progress(files, { quiet: flags.quiet });
    let summary: ConvertSummary;
    try {
      const password = passwordSource(flags);
      const encrypt = flags.encrypt ? await password.get(flags.output ?? '-') : undefined;
      summary = await convert(await expandInputs(files, { password }), flags.output ?? process.stdout, {
        to: flags.to as 'new' | 'old' | 'json' | 'ndjson' | 'csv',
        filter,
        onError: flags['on-error'] as 'fail' | 'skip',
        password,
        compress: flags.compress,
        trackDb: flags['track-db'],
        ...(flags['source-tz'] !== undefined ? { sourceTz: flags['source-tz'] } : {}),
        ...(encrypt ? { encrypt } : {}),
        onProblem: (e) => noteProblem(e, flags.quiet, bar),
        onProgress: (log, records) => bar.update(log.file, log.inputBytesRead, log.layers.length ? log.bytesRead : undefined, records),
      });
    } catch (e) {
      bar.done();
      return failed(this, e, flags.json);
    }
    bar.done();
    const text = JSON.stringify(summary, null, 2) + '\n';
    if (flags.json) (flags.output ? process.stdout : process.stderr).write(text);
    else if (flags.output)
      process.stderr.write(
        `${summary.written} records written to ${flags.output} (${summary.read} read, ${summary.filtered} filtered, ${summary.malformed} malformed skipped, ${summary.truncated} truncated)\n`,
      );
    if (summary.dataProblems) this.exit(EXIT.DATA_PROBLEMS);
    return summary;
  }
}
