#!/usr/bin/env node
import { run } from '@oclif/core';
import { handle } from '@oclif/core/handle';
import { finish, installStdio } from '../dist/cli/stdio.js';

// Every exit goes through finish(): stdout and stderr are flushed first, whatever the code.
installStdio();
try {
  await run(process.argv.slice(2), import.meta.url);
} catch (e) {
  await handle(e);
}
await finish(typeof process.exitCode === 'number' ? process.exitCode : 0);
