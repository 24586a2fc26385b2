/**
 * Flags shared by `convert --out-dir` and `rotate`: how a file set is rotated,
 * named and pruned, turned into the library's options.
 *
 *   static flags = { ...rotationFlags };
 *   const rot = rotationOptions(flags);   // rot.sink: rotateOnSize, naming, maxSize, ...
 */
import { Flags } from './core.js';
import { join } from 'node:path';
import { activeName, setLayout, NAMINGS, type Naming } from '../src/sinks/naming.js';

export const rotationFlags = {
  'rotate-on-size': Flags.integer({
    description: 'rotate once the file is past N bytes (convert: once a record takes it past; N rounded down to a multiple of 4096; under 4096: never)',
    min: 0,
    helpGroup: 'ROTATION',
  }),
  naming: Flags.string({
    description: 'rotated names: mysql (audit.20190415T151322.log), legacy (audit.log.15159344437726520) or numbered (audit.log.1, newest first)',
    options: [...NAMINGS],
    default: 'mysql',
    helpGroup: 'ROTATION',
  }),
  'max-size': Flags.integer({ description: 'after rotating, remove the oldest rotated files while together they exceed N bytes (rounded down to 4096)', min: 0, helpGroup: 'ROTATION' }),
  'prune-seconds': Flags.integer({ description: 'after rotating, remove rotated files older than N seconds (when --max-size is not given)', min: 0, helpGroup: 'ROTATION' }),
  rotations: Flags.integer({ description: 'numbered names: rotated files kept, 1..999 (the names get as many digits as N); default 99', min: 1, max: 999, helpGroup: 'ROTATION' }),
  'pwd-id': Flags.string({ description: 'with --encrypt: the password id for the names (audit.log.<pwd_id>.enc, e.g. 20190414T223342-2) and the --password-map entry', helpGroup: 'ENCRYPTION' }),
};

export interface RotationFlagValues {
  'rotate-on-size'?: number | undefined;
  naming?: string | undefined;
  'max-size'?: number | undefined;
  'prune-seconds'?: number | undefined;
  rotations?: number | undefined;
  'pwd-id'?: string | undefined;
  compress?: boolean | undefined;
  encrypt?: boolean | undefined;
}

/** Whether any rotation flag was given (convert accepts them only with --out-dir). */
export function usesRotationFlags(flags: RotationFlagValues): boolean {
  return flags['rotate-on-size'] !== undefined || flags['max-size'] !== undefined || flags['prune-seconds'] !== undefined || flags.rotations !== undefined;
}

/** The library options of the flags. */
export function rotationOptions(flags: RotationFlagValues) {
  const sink = {
    rotateOnSize: flags['rotate-on-size'] ?? 0,
    naming: (flags.naming ?? 'mysql') as Naming,
    ...(flags['max-size'] !== undefined ? { maxSize: flags['max-size'] } : {}),
    ...(flags['prune-seconds'] !== undefined ? { pruneSeconds: flags['prune-seconds'] } : {}),
    ...(flags.rotations !== undefined ? { rotations: flags.rotations } : {}),
    ...(flags['pwd-id'] !== undefined ? { pwdId: flags['pwd-id'] } : {}),
  };
  return {
    sink,
    /** The active encrypted file's path in `dir`, whose pwd_id picks the --password-map entry. */
    encryptedName: (dir: string) => join(dir, activeName(setLayout({ dir, naming: sink.naming, compress: flags.compress ?? false, encrypt: true, ...(sink.pwdId ? { pwdId: sink.pwdId } : {}) }))),
  };
}
