/**
 * Shell integration: the completion scripts work in the real shells, and the
 * man page in docs/ is the one the help text generates, and renders cleanly.
 * Uses the build (`npm test` builds first).
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import { manPage } from '../cli/man.js';
import { ROOT } from './helpers.js';

const has = (cmd: string) => spawnSync('sh', ['-c', `command -v ${cmd}`]).status === 0;
const dir = mkdtempSync(join(tmpdir(), 'auditlog-shell-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function script(shell: string): string {
  const f = join(dir, `completion.${shell}`);
  writeFileSync(f, execFileSync('node', [join(ROOT, 'bin', 'run.js'), 'completion', shell], { encoding: 'utf8' }));
  return f;
}

describe('completion', () => {
  test('bash: commands, flags, --no- flags, the values of --to, and file names', () => {
    const f = script('bash');
    const complete = (...words: string[]) =>
      execFileSync('bash', ['-c', `source ${f}; COMP_WORDS=(${words.map((w) => `'${w}'`).join(' ')}); COMP_CWORD=${words.length - 1}; _auditlog; printf '%s\\n' "\${COMPREPLY[@]}"`], { cwd: ROOT, encoding: 'utf8' })
        .trim()
        .split('\n');
    expect(complete('auditlog', 'sh')).toEqual(['show']);
    expect(complete('auditlog', 'c')).toEqual(['completion', 'convert']);
    expect(complete('auditlog', 'show', '--no-p')).toEqual(['--no-pager']);
    expect(complete('auditlog', 'show', '--ignore')).toEqual(['--ignore-case']);
    expect(complete('auditlog', 'convert', '--to', 'n')).toEqual(['new', 'ndjson']);
    expect(complete('auditlog', 'show', 'fixtures/cli/sec')).toEqual(['fixtures/cli/security.json']);
  });

  test.skipIf(!has('fish'))('fish: commands with their summaries, flags, values of --to (fish is installed)', () => {
    const f = script('fish');
    const complete = (line: string) => execFileSync('fish', ['-c', `source ${f}; complete -C '${line}'`], { encoding: 'utf8' }).trim().split('\n');
    expect(complete('auditlog sh')).toEqual(['show\tShow matching records: a table on a terminal, tab-separated rows when piped.']);
    expect(complete('auditlog convert --to n').map((l) => l.split('\t')[0])).toEqual(['ndjson', 'new']);
    expect(complete('auditlog show --vert').map((l) => l.split('\t')[0])).toEqual(['--vertical']);
  });

  test.skipIf(!has('zsh'))('zsh: the script parses and defines the completion function (zsh is installed)', () => {
    const f = script('zsh');
    expect(spawnSync('zsh', ['-n', f]).status).toBe(0);
    const out = execFileSync('zsh', ['-c', `autoload -U compinit; compinit -u -d ${dir}/zcompdump; source ${f}; whence -w _auditlog; print -r -- $_comps[auditlog]`], { encoding: 'utf8' });
    expect(out).toBe('_auditlog: function\n_auditlog\n');
  });
});

describe('man page', () => {
  test('docs/auditlog.1 is what the help text generates (run `npm run man` after changing a command)', async () => {
    expect(readFileSync(join(ROOT, 'docs', 'auditlog.1'), 'utf8')).toBe(await manPage(ROOT));
  });

  test('it renders without groff warnings and holds every command, its flags and examples', () => {
    const warnings = spawnSync('groff', ['-man', '-ww', '-z', join(ROOT, 'docs', 'auditlog.1')], { encoding: 'utf8' });
    expect(warnings.stderr).toBe('');
    const text = execFileSync('man', ['-l', join(ROOT, 'docs', 'auditlog.1')], { encoding: 'utf8', env: { ...process.env, MANWIDTH: '100', MAN_KEEP_FORMATTING: '' } });
    for (const c of ['COMPLETION', 'CONVERT', 'HELP', 'INFO', 'SHOW', 'VERSION']) expect(text).toContain(`AUDITLOG ${c}`);
    expect(text).toContain('--ignore-case');
    expect(text).toContain('zcat audit.log.gz | auditlog show --user root');
  });
});
