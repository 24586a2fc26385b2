#!/usr/bin/env node
import { finish, installStdio } from '../dist/cli/stdio.js';

const { run } = await import('@oclif/core');
const { Exit, handle } = await import('@oclif/core/handle');
// Every exit goes through finish(): stdout and stderr are flushed first, whatever the code.
installStdio(Exit);
try {
  await run(process.argv.slice(2), import.meta.url);
} catch (e) {
  await handle(e);
}
await finish(typeof process.exitCode === 'number' ? process.exitCode : 0);
