import { Args, Command, Flags } from '../cli/core.js';
import { failed, out, passwordFlags, passwordSource } from '../cli/common.js';
import { setReport } from '../cli/set-report.js';
import { EXIT } from '../src/errors.js';
import { discoverFileSet } from '../src/fileset.js';
import { newestBookmark } from '../src/read.js';

export default class Bookmark extends Command {
  static override description =
    "Print the bookmark of the newest event of a set of audit logs, like the server's audit_log_read_bookmark(), reading only the end of the newest file ({\"timestamp\":...,\"id\":N}, or null when there is no event).";
  static override examples = ['<%= config.bin %> bookmark /var/lib/mysql', '<%= config.bin %> bookmark /var/lib/mysql/audit.log'];
  static override strict = false;
  static override args = { files: Args.string({ description: "a directory, the active file's path, or audit log files", ignoreStdin: true }) };
  static override flags = {
    verbose: Flags.boolean({ description: 'list the files read and ignored, and what was parsed, on stderr' }),
    ...passwordFlags,
  };

  async run(): Promise<void> {
    const { argv, flags } = await this.parse(Bookmark);
    const args = argv as string[];
    if (args.length === 0) this.error("give a directory, the active file's path, or audit log files", { exit: EXIT.USAGE });
    try {
      const password = passwordSource(flags);
      const set = await discoverFileSet(args, { password });
      const { bookmark, stats } = await newestBookmark(set, { password });
      out(JSON.stringify(bookmark));
      if (flags.verbose || set.files.length === 0) process.stderr.write(setReport(set, stats, flags.verbose));
    } catch (e) {
      failed(this, e, false);
    }
  }
}
