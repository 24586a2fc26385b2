/**
 * The oclif pieces the command files are built from. Normally oclif's own;
 * when the fast path runs a command (cli/fast-path.ts, which decided from the
 * manifest before loading any command file), the light stand-ins of
 * cli/lite-core.ts, so the run never loads oclif.
 *
 *   import { Args, Command, Flags } from '../cli/core.js';
 */
import type * as Oclif from '@oclif/core';
import { LITE } from './lite-core.js';

const lite = (globalThis as Record<symbol, unknown>)[LITE] === true;
const core = (lite ? await import('./lite-core.js').then((m) => ({ Args: m.Args, Command: m.LiteCommand, Flags: m.Flags })) : await import('@oclif/core')) as unknown as Pick<typeof Oclif, 'Args' | 'Command' | 'Flags'>;

export const { Args, Flags } = core;
export const Command = core.Command;
export type Command = Oclif.Command;
