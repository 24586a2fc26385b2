/**
 * "The work" of a CLI run, for the startup bench: the same job done by calling
 * the library directly from a plain node script (no CLI, no flag parsing), with
 * the same output. Its time minus `node -e 0` is what the CLI may add its
 * start-up to.
 *
 *   node dist/bench/startup-work.js info FILE          # as `auditlog info FILE`
 *   node dist/bench/startup-work.js convert-json FILE  # as `auditlog convert FILE --to json`
 */
const [job, file] = process.argv.slice(2);
if (!file) throw new Error('usage: startup-work.js info|convert-json FILE');
if (job === 'info') {
  const { combine, inspect } = await import('../src/info.js');
  const { SecurityTally } = await import('../src/security.js');
  const { formatInfo } = await import('../cli/info-report.js');
  const { formatSecurity } = await import('../cli/info-security-report.js');
  const security = new SecurityTally();
  const report = await inspect(file, { onEntry: (e) => security.add(e) });
  process.stdout.write(`${formatInfo(combine([report]))}\n${formatSecurity(security.report(), { bars: false })}\n`);
} else if (job === 'convert-json') {
  const { convert } = await import('../src/convert.js');
  await convert([file], process.stdout, { to: 'json' });
} else throw new Error(`unknown job ${job}`);
