import { Args, Command, Flags } from '../cli/core.js';
import { cleanUpOnSignals, failed, inputs, passwordFlags, passwordSource, sourceTzFlag } from '../cli/common.js';
import { filterFlags, filterSpec } from '../cli/filter-flags.js';
import { rotationFlags, rotationOptions, usesRotationFlags } from '../cli/rotation.js';
import { noteProblem, progress, quietFlag } from '../cli/progress.js';
import { convertInto, type ConvertOptions, type ConvertSummary } from '../src/convert.js';
import { convertWithJobs } from '../src/parallel/convert.js';
import { defaultJobs, jobsFlag, splitBytesFlag } from '../cli/jobs.js';
import { createRotatingSink } from '../src/sinks/rotating.js';
import { EXIT } from '../src/errors.js';
import { severityLabel } from '../src/problems.js';
import { escapeControls } from '../src/text.js';
import { expandInputs } from '../src/fileset.js';
import { unknownEventWarning } from '../src/filter.js';

export default class Convert extends Command {
  static override description =
    'Convert audit logs (any format, gzip, AES) to another format, filtered. Several inputs are read in order as one stream. Repeated filter flags OR, different flags AND. Inputs are read, filtered and encoded in --jobs worker threads, the output and summary as with one (--out-dir, --track-db and stdin: one thread).';
  static override examples = [
    '<%= config.bin %> convert audit.log --to json -o audit.json',
    '<%= config.bin %> convert audit.*.log.gz --to ndjson --user root --status error',
    '<%= config.bin %> convert audit.log.enc --password-file pw --to new --since "2019-10-03 14:00:00" --until 2019-10-03',
    '<%= config.bin %> convert big-audit.log --to new --out-dir archive --rotate-on-size 67108864 --compress',
  ];
  static override strict = false;
  static override args = {
    files: Args.string({ description: 'audit log files (- for stdin; none and stdin not a terminal: stdin); a directory means its rotated set, oldest first', ignoreStdin: true }),
  };
  static override flags = {
    to: Flags.string({ description: 'output format', options: ['new', 'old', 'json', 'ndjson', 'csv'], required: true }),
    output: Flags.string({ char: 'o', description: 'write to FILE instead of stdout (- is stdout): a regular file atomically, mode 0600; a device or FIFO in place; never an input', exclusive: ['out-dir'] }),
    ...rotationFlags,
    'out-dir': Flags.string({ description: 'write a rotated file set into DIR, named as the server names it (see --naming)', helpGroup: 'ROTATION' }),
    'on-error': Flags.string({
      description: 'at a malformed record or an unreadable input: fail (stop, no output file) or skip (report it, go on; exit 1, or 3 when an input was unreadable)',
      options: ['fail', 'skip'],
      default: 'fail',
    }),
    compress: Flags.boolean({ description: 'gzip the output' }),
    'csv-safe': Flags.boolean({ description: "--to csv: prefix cells that start with =, +, - or @ with ' (so spreadsheets do not run them as formulas)" }),
    encrypt: Flags.boolean({ description: 'AES-256-CBC encrypt the output (password from the password flags)', helpGroup: 'ENCRYPTION' }),
    json: Flags.boolean({ description: 'print the summary as JSON (on stdout with -o, else on stderr)' }),
    'track-db': Flags.boolean({ description: "write each connection's default database into general and table-access events that carry none (across all inputs, in order; unknown stays absent)" }),
    'source-tz': sourceTzFlag('their times are converted to UTC'),
    jobs: jobsFlag,
    'split-bytes': splitBytesFlag,
    quiet: quietFlag,
    ...filterFlags,
    ...passwordFlags,
  };

  async run(): Promise<ConvertSummary> {
    const { argv, flags } = await this.parse(Convert);
    const files = inputs(this, argv as string[]);
    const filter = filterSpec(flags);
    if (!flags['out-dir'] && usesRotationFlags(flags)) this.error('--rotate-on-size, --max-size, --prune-seconds and --rotations need --out-dir', { exit: EXIT.USAGE });
    const unknownEvent = unknownEventWarning(flags.event);
    if (unknownEvent) process.stderr.write(`Warning: ${unknownEvent}\n`);
    cleanUpOnSignals();
    const bar = progress(files, { quiet: flags.quiet });
    let summary: ConvertSummary;
    try {
      const password = passwordSource(flags);
      const dir = flags['out-dir'];
      const rot = rotationOptions(flags);
      const encrypt = flags.encrypt ? await password.get(dir ? rot.encryptedName(dir) : (flags.output ?? '-')) : undefined;
      const sources = await expandInputs(files, { password });
      const opts: ConvertOptions = {
        to: flags.to as 'new' | 'old' | 'json' | 'ndjson' | 'csv',
        filter,
        onError: flags['on-error'] as 'fail' | 'skip',
        password,
        compress: flags.compress,
        csvSafe: flags['csv-safe'],
        trackDb: flags['track-db'],
        ...(flags['source-tz'] !== undefined ? { sourceTz: flags['source-tz'] } : {}),
        ...(encrypt ? { encrypt } : {}),
        onProblem: (e) => noteProblem(e, flags.quiet, bar),
        onProgress: (log, records) => bar.update(log.file, log.inputBytesRead, log.layers.length ? log.bytesRead : undefined, records),
      };
      summary = dir
        ? await convertInto(sources, (prologue, hooks) => createRotatingSink({ ...rot.sink, ...hooks, dir, to: opts.to, compress: flags.compress, csvSafe: flags['csv-safe'], ...(encrypt ? { encrypt } : {}), ...(prologue ? { prologue } : {}) }), opts)
        : await convertWithJobs(sources, flags.output ?? '-', opts, {
            jobs: flags.jobs ?? defaultJobs(),
            ...(flags['split-bytes'] !== undefined ? { splitBytes: flags['split-bytes'], minBytes: flags['split-bytes'] } : {}),
            onProgress: (file, disk, decoded, records) => bar.update(file, disk, decoded, records),
          });
    } catch (e) {
      bar.done();
      return failed(this, e, flags.json);
    }
    bar.done();
    const text = JSON.stringify(summary, null, 2) + '\n';
    const where = flags['out-dir'] ? `${summary.files.length} files in ${flags['out-dir']}` : flags.output !== undefined && flags.output !== '-' ? flags.output : undefined;
    if (flags.json) (where ? process.stdout : process.stderr).write(text);
    else if (where)
      process.stderr.write(
        `${summary.written} records written to ${escapeControls(where)} (${summary.read} read, ${summary.filtered} filtered, ${summary.malformed} malformed skipped, ${summary.truncated} truncated${summary.pruned.length ? `, ${summary.pruned.length} files pruned` : ''})\n`,
      );
    if (summary.unreadable.length) {
      process.stderr.write(`Error: ${summary.unreadable.length} unreadable input${summary.unreadable.length === 1 ? '' : 's'} skipped: ${summary.unreadable.map((p) => escapeControls(p.file)).join(', ')}\n`);
      this.exit(EXIT.INPUT_UNUSABLE);
    }
    if (summary.dataProblems) this.exit(EXIT.DATA_PROBLEMS);
    return summary;
  }
}
