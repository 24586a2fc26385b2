import { Args, Command, Errors, loadHelpClass } from '@oclif/core';
import { unknownCommandMessage } from '../cli/did-you-mean.js';
import { EXIT } from '../src/errors.js';

export default class Help extends Command {
  static override description = 'Show help: the list of commands, or one command\'s flags and examples.';
  static override examples = ['<%= config.bin %> help', '<%= config.bin %> help show', '<%= config.bin %> show --help | less'];
  static override strict = false;
  static override args = { command: Args.string({ description: 'command to explain', ignoreStdin: true }) };

  async run(): Promise<void> {
    const { argv } = await this.parse(Help);
    const words = argv as string[];
    const id = words.join(':');
    if (id && !this.config.findCommand(id)) Errors.error(unknownCommandMessage(words.join(' '), this.config.bin, this.config.commandIDs), { exit: EXIT.USAGE });
    const HelpClass = await loadHelpClass(this.config);
    await new HelpClass(this.config, this.config.pjson.oclif.helpOptions ?? {}).showHelp(words);
  }
}
