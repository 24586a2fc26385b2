import { Args, Command, Flags } from '../cli/core.js';
import { cleanUpOnSignals, failed, out, passwordFlags, passwordSource } from '../cli/common.js';
import { rotationFlags, rotationOptions } from '../cli/rotation.js';
import { rotateLog, type RotateReport } from '../src/rotate.js';

export default class Rotate extends Command {
  static override description =
    "Rotate a live server's audit log, for cron: rename it to the server's rotated name (if over --rotate-on-size, or always without it), run --post-rotate so the server reopens its file, then add a missing footer, compress and encrypt the rotated file and prune the set. Safe to overlap (lock file) and to kill (the next run completes the job).";
  static override examples = [
    `<%= config.bin %> rotate /var/lib/mysql/audit.log --rotate-on-size 1073741824 --compress --max-size 8589934592 --post-rotate 'mysql -e "SET GLOBAL audit_log_flush=ON"'`,
    '<%= config.bin %> rotate /var/lib/mysql/audit.log --naming numbered --rotations 9 --dry-run --json',
  ];
  static override args = { file: Args.string({ description: "the server's active audit log file", required: true }) };
  static override flags = {
    ...rotationFlags,
    compress: Flags.boolean({ description: 'gzip the rotated file (.gz)' }),
    encrypt: Flags.boolean({ description: 'AES-256-CBC encrypt the rotated file (.enc; password from the password flags)', helpGroup: 'ENCRYPTION' }),
    'post-rotate': Flags.string({
      description: 'shell command run after the rename so the server reopens its log (AUDITLOG_FILE and AUDITLOG_ROTATED are set); without it, compression waits for the next run',
    }),
    'dry-run': Flags.boolean({ description: 'report what would be done; change nothing' }),
    json: Flags.boolean({ description: 'print the report as JSON' }),
    ...passwordFlags,
  };

  async run(): Promise<RotateReport> {
    const { args, flags } = await this.parse(Rotate);
    const rot = rotationOptions(flags);
    cleanUpOnSignals();
    let report: RotateReport;
    try {
      const encrypt = flags.encrypt ? await passwordSource(flags).get(rot.encryptedName('.')) : undefined;
      report = await rotateLog({
        ...rot.sink,
        file: args.file,
        ...(flags['rotate-on-size'] === undefined ? { rotateOnSize: undefined } : {}),
        compress: flags.compress,
        ...(encrypt ? { encrypt } : {}),
        ...(flags['post-rotate'] ? { postRotate: flags['post-rotate'] } : {}),
        dryRun: flags['dry-run'],
      });
    } catch (e) {
      return failed(this, e, flags.json);
    }
    if (flags.json) out(JSON.stringify(report, null, 2));
    else if (report.locked) process.stderr.write(`Note: another rotation of ${report.file} is running; nothing done\n`);
    else {
      const say = (what: string, list: string[]) => list.length && process.stderr.write(`${report.dryRun ? 'would be ' : ''}${what}: ${list.join(', ')}\n`);
      say('renamed', report.renamed.map((r) => `${r.from} -> ${r.to}`));
      say('footer added', report.terminated);
      say('written', report.written);
      say('pruned', report.pruned);
      say('waiting for the next run', report.pending);
      if (!report.renamed.length) process.stderr.write(`not renamed: ${report.reason}\n`);
    }
    return report;
  }
}
