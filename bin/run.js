#!/usr/bin/env node
import { fileURLToPath } from 'node:url';
import { fastPath } from '../dist/cli/fast-path.js';
import { finish, installStdio } from '../dist/cli/stdio.js';

// A plain run of a command skips loading oclif (see cli/fast-path.ts); the rest is oclif's.
const argv = process.argv.slice(2);
const fast = fastPath(argv, fileURLToPath(new URL('..', import.meta.url)));
if (fast) {
  await fast();
} else {
  const { run } = await import('@oclif/core');
  const { Exit, handle } = await import('@oclif/core/handle');
  // Every exit goes through finish(): stdout and stderr are flushed first, whatever the code.
  installStdio(Exit);
  try {
    await run(argv, import.meta.url);
  } catch (e) {
    await handle(e);
  }
}
await finish(typeof process.exitCode === 'number' ? process.exitCode : 0);
