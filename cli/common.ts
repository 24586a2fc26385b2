/**
 * Glue shared by the commands: which inputs to read, and how an error is
 * shown and turned into an exit code. No audit logic lives here.
 *
 *   const files = inputs(this, args.files);
 *   try { ... } catch (e) { return failed(this, e, flags.json); }
 */
import type { Command } from '@oclif/core';
import { AuditLogError, EXIT } from '../src/errors.js';

/** The inputs to read: the arguments, or stdin (`-`) when there are none and stdin is not a terminal. */
export function inputs(cmd: Command, files: string[]): string[] {
  if (files.length) return files;
  if (process.stdin.isTTY) cmd.error('no input files (give FILE..., or - for stdin)', { exit: EXIT.USAGE });
  return ['-'];
}

/** Print an error on stderr (and as JSON on stdout with --json) and set the exit code. */
export function failed(cmd: Command, e: unknown, json: boolean): never {
  if (!(e instanceof AuditLogError)) throw e;
  if (json) process.stdout.write(JSON.stringify({ error: e.toJSON() }, null, 2) + '\n');
  process.stderr.write(`Error (${e.code}): ${e.message}\n`);
  if (e.ctx.suggestion) process.stderr.write(`Try: ${e.ctx.suggestion}\n`);
  return cmd.exit(e.exitCode);
}

/** Write a line to stdout, quietly stopping on a closed pipe (`| head`). */
export function out(text: string): void {
  process.stdout.write(text.endsWith('\n') ? text : text + '\n');
}
