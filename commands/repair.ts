import { Args, Command, Flags } from '../cli/core.js';
import { cleanUpOnSignals, failed, passwordFlags, passwordSource } from '../cli/common.js';
import { formatRepair } from '../cli/repair-report.js';
import { EXIT } from '../src/errors.js';
import { repair, type RepairReport } from '../src/repair/index.js';

export default class Repair extends Command {
  static override description =
    'Make a crashed or half-written audit log whole: cut back to the end of its last complete record (dropping a torn tail and trailing NUL bytes) and write the footer its format needs. Plain files are repaired from their end; .gz, .enc and .gz.enc are written again as the same kind of file.';
  static override examples = [
    '<%= config.bin %> repair audit.log --check',
    '<%= config.bin %> repair audit.log -o audit.repaired.log',
    '<%= config.bin %> repair audit.log --in-place',
    '<%= config.bin %> repair audit.20190415T151322.log.gz.20190414T223342-2.enc --password-map keys.json --in-place',
    '<%= config.bin %> repair audit.log --salvage --dry-run',
  ];
  static override args = { file: Args.string({ description: 'the audit log file', required: true }) };
  static override flags = {
    output: Flags.string({ char: 'o', description: 'write the repaired file to OUT (atomically, mode 0600); without it and --in-place, to stdout', exclusive: ['in-place'] }),
    'in-place': Flags.boolean({ description: 'replace FILE atomically, keeping the original as FILE.bak (a hard link)' }),
    backup: Flags.boolean({ description: 'with --in-place, keep FILE.bak', allowNo: true, default: true }),
    'dry-run': Flags.boolean({ description: 'report what would be done; write nothing' }),
    check: Flags.boolean({ description: 'write nothing; exit 1 when the file needs repair, 0 when it is whole' }),
    salvage: Flags.boolean({ description: 'also remove malformed records and stray text in the middle, listing each (reads the whole file)' }),
    json: Flags.boolean({ description: 'print the report as JSON' }),
    ...passwordFlags,
  };

  async run(): Promise<RepairReport> {
    const { args, flags } = await this.parse(Repair);
    if (!flags.backup && !flags['in-place']) this.error('--no-backup goes with --in-place', { exit: EXIT.USAGE });
    const toStdout = !flags.output && !flags['in-place'] && !flags.check && !flags['dry-run'];
    cleanUpOnSignals();
    let report: RepairReport;
    try {
      report = await repair(args.file, {
        ...(flags.output !== undefined ? { output: flags.output } : {}),
        inPlace: flags['in-place'],
        backup: flags.backup,
        dryRun: flags['dry-run'],
        check: flags.check,
        salvage: flags.salvage,
        password: passwordSource(flags),
      });
    } catch (e) {
      return failed(this, e, flags.json);
    }
    // The report goes to stdout unless the repaired bytes do.
    const text = flags.json ? JSON.stringify(report, null, 2) + '\n' : formatRepair(report, { check: flags.check, dryRun: flags['dry-run'] });
    (toStdout ? process.stderr : process.stdout).write(text);
    if (flags.check && !report.whole) this.exit(EXIT.DATA_PROBLEMS);
    return report;
  }
}
