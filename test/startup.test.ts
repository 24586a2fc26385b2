/**
 * The fast start (cli/fast-path.ts): the manifest the build writes matches the
 * commands; argv parses as oclif parses it or is left to oclif; a run on the
 * fast path prints, writes and exits exactly as the same run through oclif;
 * and a plain run loads no oclif module.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Parser } from '@oclif/core';
import { describe, expect, test } from 'vitest';
import { parseArgv, withLiveDefaults, type FastCommand, type Manifest } from '../cli/fast-path.js';
import { buildManifest, manifestText } from '../cli/manifest.js';
import { fixturePath, ROOT } from './helpers.js';

const CLI = join(ROOT, 'bin', 'run.js');
const NEW_56 = fixturePath('public/mysql-utilities/audit.log.13951424704434196.xml');
const manifest = JSON.parse(readFileSync(join(ROOT, 'oclif.manifest.json'), 'utf8')) as Manifest;

function fastCommands(): [string, FastCommand][] {
  return Object.entries(manifest.commands).flatMap(([id, c]) => ('unsupported' in c.fastPath ? [] : [[id, c.fastPath] as [string, FastCommand]]));
}

describe('the manifest', () => {
  test('is what the built commands give now (npm run build writes it; a stale one fails here)', async () => {
    const built = manifestText(await buildManifest(ROOT));
    expect(readFileSync(join(ROOT, 'oclif.manifest.json'), 'utf8')).toBe(built);
  }, 60_000);

  test('every command runs on the fast path but help and completion, which need the whole oclif Config', () => {
    const unsupported = Object.fromEntries(Object.entries(manifest.commands).flatMap(([id, c]) => ('unsupported' in c.fastPath ? [[id, c.fastPath.unsupported]] : [])));
    expect(Object.keys(unsupported).sort()).toEqual(['completion', 'help']);
    expect(fastCommands().map(([id]) => id)).toEqual(['bookmark', 'convert', 'info', 'read', 'repair', 'rotate', 'sessions', 'show', 'version', 'who']);
  });
});

/** A small seeded generator (mulberry32), so every run tries the same argv. */
function random(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Tokens to build argv from: every flag in every form, values good and bad, positionals, and forms oclif treats specially. */
function tokenPool(cmd: FastCommand): string[] {
  const pool = ['a.log', 'b.log', 'a.log', '-', 'x', '5', '-5', '--', '-h', '--help', '--nope', '-Z', '--no-nope', '', 'root', '--json=1'];
  for (const [name, f] of Object.entries(cmd.flags)) {
    pool.push(`--${name}`, `--${name}`);
    if (f.allowNo) pool.push(`--no-${name}`, `--no-${name}=x`);
    if (f.char) pool.push(`-${f.char}`, `-${f.char}x`);
    if (f.kind !== 'boolean') {
      const values = [...(f.options ?? []), ...(f.kind === 'integer' ? ['0', '1', '7', '999', '1000', '-1', '1.5', 'ten'] : ['root', 'x y', '-', '-x', `--${name}`])];
      for (const v of values) pool.push(`--${name}=${v}`, v);
      pool.push(`--${name}=`);
    } else pool.push(`--${name}=true`);
  }
  return pool;
}

type Cls = { flags?: Record<string, unknown>; args?: Record<string, unknown>; strict?: boolean };

async function oclifParse(C: Cls, argv: string[]): Promise<{ args: unknown; argv: unknown; flags: unknown } | Error> {
  try {
    const r = await Parser.parse(argv, { flags: C.flags ?? {}, args: C.args ?? {}, strict: C.strict !== false } as never);
    return { args: r.args, argv: r.argv, flags: r.flags };
  } catch (e) {
    return e as Error;
  }
}

describe('argv parses as oclif parses it, or goes to oclif', () => {
  test.each(fastCommands())('%s: 400 generated argv, and the common forms', async (id, cmd) => {
    const C = ((await import(join(ROOT, 'dist', 'commands', `${id}.js`))) as { default: Cls }).default;
    const pool = tokenPool(cmd);
    const next = random(id.length * 7919 + id.charCodeAt(0));
    const tries: string[][] = [];
    // Required flags (convert --to) given with a good value in most tries, at a random place.
    const required = Object.entries(cmd.flags).flatMap(([name, f]) => (f.required ? [[`--${name}`, f.options?.[0] ?? 'x']] : []));
    for (let i = 0; i < 400; i++) {
      const argv = Array.from({ length: Math.floor(next() * 7) }, () => pool[Math.floor(next() * pool.length)]!);
      if (next() < 0.7) for (const pair of required) argv.splice(Math.floor(next() * (argv.length + 1)), 0, ...pair);
      tries.push(argv);
    }
    let accepted = 0;
    for (const argv of tries) {
      const lite = parseArgv(argv, cmd);
      if (!lite) continue;
      accepted++;
      const real = await oclifParse(C, argv);
      // Same values, same key order (the commands iterate over flags).
      expect(real instanceof Error ? `oclif: ${real.message}` : JSON.stringify(real), JSON.stringify(argv)).toBe(JSON.stringify({ args: lite.args, argv: lite.argv, flags: lite.flags }));
    }
    // The fast path takes a fair share of what was tried, not only the trivial runs.
    expect(accepted).toBeGreaterThan(20);
  });

  const common: [string, string[]][] = [
    ['info', ['a.log']],
    ['info', ['--json', 'a.log', 'b.log']],
    ['info', ['--user', 'root', '--user=app', '-q', '--since', '2019-10-03 14:00', 'a.log']],
    ['convert', ['a.log', '--to', 'json']],
    ['convert', ['--to=ndjson', '-o', 'out.json', '--on-error', 'skip', 'a.log']],
    ['show', ['-n', '5', '--no-pager', '-V', '--fields', 'name,user', 'a.log']],
    ['read', ['--ndjson', '--max-array-length', '10', 'dir']],
    ['sessions', ['--to', 'csv', '-o', 'out.csv', 'dir']],
    ['repair', ['--check', 'a.log']],
    ['who', ['12', '--at', '2019-10-03 14:00:00', 'a.log']],
    ['version', []],
    ['version', ['--json']],
  ];
  test.each(common)('%s %j: fast, with oclif\'s result', async (id, argv) => {
    const cmd = manifest.commands[id]!.fastPath as FastCommand;
    const lite = parseArgv(argv, cmd);
    expect(lite).toBeDefined();
    const C = ((await import(join(ROOT, 'dist', 'commands', `${id}.js`))) as { default: Cls }).default;
    expect(JSON.stringify(await oclifParse(C, argv))).toBe(JSON.stringify({ args: lite!.args, argv: lite!.argv, flags: lite!.flags }));
  });
});

test('a default is the one the loaded command defines, not the one the manifest was built with', () => {
  const cmd: FastCommand = { strict: false, flags: { jobs: { kind: 'integer', default: 2 }, json: { kind: 'boolean' }, to: { kind: 'string', default: 'text' } }, args: {} };
  const parsed = parseArgv(['--json'], cmd)!;
  expect(parsed.flags).toEqual({ jobs: 2, json: true, to: 'text' });
  const live = withLiveDefaults(parsed, Object.keys(cmd.flags), { jobs: { default: 8 }, json: {}, to: {} });
  expect(Object.entries(live.flags)).toEqual([['jobs', 8], ['json', true]]);
});

function run(args: string[], env: NodeJS.ProcessEnv, input?: string) {
  const p = spawnSync(process.execPath, [CLI, ...args], { input: input ?? '', env: { ...process.env, ...env }, encoding: 'utf8', stdio: 'pipe' });
  return { status: p.status, stdout: p.stdout, stderr: p.stderr };
}

describe('a fast run is the oclif run', () => {
  const dir = mkdtempSync(join(tmpdir(), 'auditlog-startup-'));
  const bad = join(dir, 'bad.xml');
  writeFileSync(bad, readFileSync(NEW_56).subarray(0, 20_000));
  const cases: [string, string[], string?][] = [
    ['info', ['info', NEW_56]],
    ['info --json, a truncated file (exit 1)', ['info', '--json', bad]],
    ['info of a missing file (exit 3)', ['info', join(dir, 'missing.log')]],
    ['info, stdin', ['info'], readFileSync(NEW_56, 'utf8')],
    ['info -', ['info', '-', '--json'], readFileSync(NEW_56, 'utf8')],
    ['convert --to json', ['convert', NEW_56, '--to', 'json']],
    ['convert --to csv --user', ['convert', '--to=csv', '--user', 'root', NEW_56]],
    ['convert a truncated file (exit 1)', ['convert', bad, '--to', 'ndjson']],
    ['convert without --to (usage error)', ['convert', NEW_56]],
    ['convert --to nope', ['convert', NEW_56, '--to', 'nope']],
    ['rotation flags without --out-dir (this.error)', ['convert', NEW_56, '--to', 'json', '--max-size', '10']],
    ['show --count', ['show', NEW_56, '--count']],
    ['show -n 3 --fields', ['show', '-n', '3', '--fields', 'name,user', NEW_56]],
    ['sessions --to csv', ['sessions', NEW_56, '--to', 'csv']],
    ['who --at', ['who', '1', '--at', '2014-03-18 11:16:00', NEW_56]],
    ['show -n 0 (below the minimum)', ['show', NEW_56, '-n', '0']],
    ['show -Vn 2 (short flags together)', ['show', NEW_56, '-Vn', '2']],
    ['read with no files (this.error)', ['read']],
    ['bookmark', ['bookmark', NEW_56]],
    ['repair --no-backup without --in-place', ['repair', '--no-backup', NEW_56]],
    ['repair --check', ['repair', '--check', bad]],
    ['repair with two files', ['repair', NEW_56, bad]],
    ['version', ['version']],
    ['version --json', ['version', '--json']],
    ['--version', ['--version']],
    ['an unknown flag', ['info', '--usr', 'root', NEW_56]],
    ['an unknown command', ['infoo', NEW_56]],
    ['info --help', ['info', '--help']],
    ['help', ['--help']],
    ['--', ['info', '--', NEW_56]],
  ];
  test.each(cases)('%s', (_name, args, input) => {
    const fast = run(args, {}, input);
    const oclif = run(args, { AUDITLOG_NO_FAST_PATH: '1' }, input);
    expect(fast).toEqual(oclif);
  });

  test('convert -o FILE: the same file and the same report', () => {
    const out = join(dir, 'out.json');
    const fast = run(['convert', NEW_56, '--to', 'json', '-o', out, '--json'], {});
    const fastFile = readFileSync(out, 'utf8');
    rmSync(out);
    const oclif = run(['convert', NEW_56, '--to', 'json', '-o', out, '--json'], { AUDITLOG_NO_FAST_PATH: '1' });
    expect(fast).toEqual(oclif);
    expect(fastFile).toBe(readFileSync(out, 'utf8'));
    expect(fast.status).toBe(0);
  });

  test('a plain run loads no oclif module; help, an error or AUDITLOG_NO_FAST_PATH load it', () => {
    const loaded = (args: string[], env: NodeJS.ProcessEnv = {}) => run(args, { NODE_DEBUG: 'module', ...env }).stderr.includes('@oclif/core');
    expect(loaded(['info', NEW_56])).toBe(false);
    expect(loaded(['convert', NEW_56, '--to', 'json'])).toBe(false);
    expect(loaded(['version'])).toBe(false);
    expect(loaded(['show', '--count', NEW_56])).toBe(false);
    expect(loaded(['info', NEW_56], { AUDITLOG_NO_FAST_PATH: '1' })).toBe(true);
    expect(loaded(['--help'])).toBe(true);
    expect(loaded(['read'])).toBe(true);
  });
});
