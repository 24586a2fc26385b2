import { Args, Command } from '@oclif/core';
import { commandSpecs, completionScript, SHELLS, type Shell } from '../cli/completion.js';

export default class Completion extends Command {
  static override summary = 'Print a shell completion script (bash, zsh or fish).';
  static override description = 'Completes commands, flags, the values of flags with a fixed set (--to), and file names.';
  static override examples = [
    'source <(<%= config.bin %> completion bash)',
    '<%= config.bin %> completion bash > /etc/bash_completion.d/<%= config.bin %>',
    '<%= config.bin %> completion zsh > "${fpath[1]}/_<%= config.bin %>"',
    '<%= config.bin %> completion fish > ~/.config/fish/completions/<%= config.bin %>.fish',
  ];
  static override args = { shell: Args.string({ description: 'the shell', options: [...SHELLS], required: true, ignoreStdin: true }) };

  async run(): Promise<void> {
    const { args } = await this.parse(Completion);
    process.stdout.write(completionScript(args.shell as Shell, this.config.bin, commandSpecs(this.config.commands)));
  }
}
