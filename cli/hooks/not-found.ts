/**
 * oclif `command_not_found` hook: a mistyped command is a usage error (exit 2)
 * that names the closest command.
 *
 *   $ auditlog infoo x   ->   Error: "infoo" is not an auditlog command. Did you mean "info"? ...
 */
import { Errors, type Hook } from '@oclif/core';
import { EXIT } from '../../src/errors.js';
import { unknownCommandMessage } from '../did-you-mean.js';

const hook: Hook.CommandNotFound = async function (opts) {
  // With a space as topic separator, `infoo x` arrives as the id `infoo:x`.
  const typed = opts.id.split(':')[0] ?? opts.id;
  Errors.error(unknownCommandMessage(typed, opts.config.bin, opts.config.commandIDs), { exit: EXIT.USAGE });
};

export default hook;
