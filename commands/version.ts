import { Command, Flags } from '../cli/core.js';

export default class Version extends Command {
  static override description = 'Show the version of auditlog, the platform and Node.js (as --version does).';
  static override examples = ['<%= config.bin %> version', '<%= config.bin %> version --json | jq -r .version'];
  static override flags = { json: Flags.boolean({ description: 'print the versions as one JSON object' }) };

  async run(): Promise<void> {
    const { flags } = await this.parse(Version);
    const v = { name: this.config.name, version: this.config.version, node: process.version, platform: `${this.config.platform}-${this.config.arch}` };
    process.stdout.write(flags.json ? JSON.stringify(v, null, 2) + '\n' : this.config.userAgent + '\n');
  }
}
