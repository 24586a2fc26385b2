/**
 * The rotating sink through `auditlog convert --out-dir`: 50 MiB generated logs
 * split into 1 MiB pieces in every naming scheme, plain, gzip, AES and both,
 * checked with the real gunzip/openssl and strict parsers, found again by the
 * file-set discovery, and read back in that order.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { createWriteStream, mkdirSync, mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { once } from 'node:events';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { beforeAll, describe, expect, test } from 'vitest';
import { generateLog } from '../bench/generate.js';
import type { AuditEvent, Entry } from '../src/entry.js';
import { discoverFileSet } from '../src/fileset.js';
import { staticPassword } from '../src/layers/index.js';
import { parseAll, readAuditLog } from '../src/reader.js';
import { entriesOf, ROOT, saxesRecords } from './helpers.js';

const CLI = join(ROOT, 'bin', 'run.js');
const LIMIT = 1048576;
const PWD_ID = '20190414T223342-2';
const work = mkdtempSync(join(tmpdir(), 'auditlog-rotating-'));
const passwordFile = join(work, 'pw');
const inputs: Record<'json' | 'new' | 'old' | 'small', string> = {
  json: join(work, 'in.json'),
  new: join(work, 'in.xml'),
  old: join(work, 'in-old.xml'),
  small: join(work, 'small.json'),
};
const inputEvents: Record<string, string[]> = {};

async function generate(format: 'json' | 'new' | 'old', path: string, mib: number): Promise<void> {
  const out = createWriteStream(path);
  for (const c of generateLog({ format, bytes: mib * 1024 * 1024, seed: 11 })) if (!out.write(c)) await once(out, 'drain');
  out.end();
  await once(out, 'finish');
}

/**
 * An event as compared after the round trip. XML has no `id`: readers compute
 * it per file (the sequence within each second), so a second split across two
 * files restarts at 0 in the second; it is left out of the comparison for XML.
 */
function comparable(e: Entry): string {
  if (e.format === 'json') return JSON.stringify(e.event);
  const { id: _id, ...rest } = e.event;
  return JSON.stringify(rest);
}

async function events(src: string): Promise<string[]> {
  const out: string[] = [];
  for await (const batch of readAuditLog(src).batches()) for (const e of batch) out.push(comparable(e));
  return out;
}

beforeAll(async () => {
  writeFileSync(passwordFile, 'split-secret\n');
  for (const [input, path] of Object.entries(inputs) as [keyof typeof inputs, string][]) {
    await generate(input === 'small' ? 'json' : input, path, input === 'small' ? 10 : 50);
    inputEvents[input] = await events(path);
  }
}, 120_000);

interface Case {
  naming: 'mysql' | 'legacy' | 'numbered';
  format: 'json' | 'new' | 'old';
  compress: boolean;
  encrypt: boolean;
  /** A 10 MiB JSON input instead of the 50 MiB one (the single-layer cases, to keep the suite fast). */
  small?: boolean;
}

// Every scheme plain and with both layers on 50 MiB; each layer alone on 10 MiB.
const CASES: Case[] = [
  { naming: 'mysql', format: 'json', compress: false, encrypt: false },
  { naming: 'mysql', format: 'json', compress: true, encrypt: false, small: true },
  { naming: 'mysql', format: 'json', compress: false, encrypt: true, small: true },
  { naming: 'mysql', format: 'new', compress: true, encrypt: true },
  { naming: 'legacy', format: 'json', compress: false, encrypt: false },
  { naming: 'legacy', format: 'json', compress: true, encrypt: true },
  { naming: 'numbered', format: 'json', compress: false, encrypt: false },
  { naming: 'numbered', format: 'old', compress: true, encrypt: true },
];

function suffix(c: Case): string {
  return (c.compress ? '\\.gz' : '') + (c.encrypt ? `\\.${PWD_ID}\\.enc` : '');
}

/** The scheme's name pattern; groups: the ordering keys. */
function namePattern(c: Case): RegExp {
  switch (c.naming) {
    case 'mysql':
      return new RegExp(`^audit\\.(\\d{8}T\\d{6})(?:-(\\d+))?\\.log${suffix(c)}$`);
    case 'legacy':
      return new RegExp(`^audit\\.log\\.(\\d{17})${suffix(c)}$`);
    case 'numbered':
      return new RegExp(`^audit\\.log(?:\\.(\\d{2}))?${suffix(c)}$`);
  }
}

/** The names in event order, by what the scheme puts in them (numbered: the active file is newest, then .01, .02, ...). */
function eventOrder(c: Case, names: string[]): string[] {
  const re = namePattern(c);
  const key = (n: string): [string, number] => {
    const m = re.exec(n)!;
    if (c.naming === 'numbered') return ['', m[1] === undefined ? 0 : -Number(m[1])];
    return [m[1]!, Number(m[2] ?? 0)];
  };
  return [...names].sort((a, b) => {
    const [ka, sa] = key(a);
    const [kb, sb] = key(b);
    return ka < kb ? -1 : ka > kb ? 1 : sa - sb;
  });
}

/** Decode every file of a set with the real commands (one shell for the whole set), into `dec/<name>`. */
function decodeAll(dir: string, dec: string, c: Case): void {
  mkdirSync(dec);
  const decrypt = c.encrypt ? `openssl enc -d -aes-256-cbc -md sha256 -pass file:"${passwordFile}" -in "$f"` : 'cat "$f"';
  const inflate = c.compress ? ' | gunzip -c' : '';
  execFileSync('sh', ['-ec', `cd "${dir}"; for f in *; do ${decrypt}${inflate} > "${dec}/$f"; done`], { stdio: ['ignore', 'ignore', 'pipe'] });
}

describe('convert --out-dir --rotate-on-size 1048576: a generated log in 1 MiB pieces', () => {
  for (const c of CASES) {
    const input = c.small ? 'small' : c.format;
    const label = `${c.naming} naming, ${c.small ? '10' : '50'} MiB ${c.format}${c.compress ? ', --compress' : ''}${c.encrypt ? ', --encrypt' : ''}`;
    test(`${label}: whole files, at most one record over the limit, names in event order, the same events back`, async () => {
      const dir = join(work, `out-${c.naming}-${c.format}-${+c.compress}${+c.encrypt}`);
      const dec = `${dir}.dec`;
      mkdirSync(dir);
      const started = Date.now();
      const args = ['convert', inputs[input], '--to', c.format, '--out-dir', dir, '--rotate-on-size', String(LIMIT), '--naming', c.naming, '--json'];
      if (c.compress) args.push('--compress');
      if (c.encrypt) args.push('--encrypt', '--password-file', passwordFile, '--pwd-id', PWD_ID);
      if (c.naming === 'numbered') args.push('--rotations', '99');
      const p = spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', maxBuffer: 1 << 26 });
      expect(p.stderr).toBe('');
      expect(p.status).toBe(0);
      const ended = Date.now();
      const summary = JSON.parse(p.stdout) as { written: number; passedThrough: number; files: { path: string; records: number }[]; pruned: string[] };
      expect(summary.written).toBe(inputEvents[input]!.length);
      expect(summary.passedThrough).toBe(summary.written);
      expect(summary.pruned).toEqual([]);

      const names = readdirSync(dir);
      // About 50 (10) pieces, every one named by the scheme, mode 0600, no temporary file left.
      expect(names.length).toBeGreaterThanOrEqual(c.small ? 9 : 45);
      expect(names.length).toBe(summary.files.length);
      for (const n of names) {
        expect(n).toMatch(namePattern(c));
        expect(statSync(join(dir, n)).mode & 0o777).toBe(0o600);
      }
      if (c.naming === 'numbered') expect(names).toContain(`audit.log${c.compress ? '.gz' : ''}${c.encrypt ? `.${PWD_ID}.enc` : ''}`);

      decodeAll(dir, dec, c);
      // The set's discovery (as `read` finds files) and the names' own order agree.
      const ordered = eventOrder(c, names);
      const found = await discoverFileSet([dir], { password: staticPassword('split-secret') });
      expect(found.ignored).toEqual([]);
      expect(found.files.map((f) => basename(f.path))).toEqual(ordered);
      const footer = c.format === 'json' ? '\n]\n' : '</AUDIT>\n';
      const back: string[] = [];
      let lastTs = '';
      for (const [i, n] of ordered.entries()) {
        const bytes = readFileSync(join(dec, n));
        const text = bytes.toString('utf8');
        // Whole: a strict parser accepts it.
        const records = c.format === 'json' ? (JSON.parse(text) as AuditEvent[]).length : saxesRecords(text).length;
        const entries: Entry[] = entriesOf(parseAll(bytes));
        expect(entries.length).toBe(records);
        expect(text.endsWith(footer)).toBe(true);
        // At most one record over the limit: everything before the last record
        // fits (JSON: with the `,\n` that goes before it), and every file but
        // the newest was rotated because it went past.
        const last = entries[entries.length - 1]!;
        expect(last.at.offset - (c.format === 'json' ? 2 : 0)).toBeLessThanOrEqual(LIMIT);
        if (i < ordered.length - 1) expect(bytes.length - footer.length).toBeGreaterThan(LIMIT);
        // Event order across the names.
        const first = entries[0]!.event.timestamp!;
        expect(first >= lastTs).toBe(true);
        lastTs = last.event.timestamp!;
        // What the name says: JSON the time of the file's last event, XML the rotation time (UTC).
        if (c.naming === 'mysql' && c.format === 'json') expect(namePattern(c).exec(n)![1]).toBe(lastTs.replace(/[-:]/g, '').replace(' ', 'T'));
        if (c.naming === 'mysql' && c.format !== 'json') {
          const m = namePattern(c).exec(n)![1]!;
          const t = Date.UTC(+m.slice(0, 4), +m.slice(4, 6) - 1, +m.slice(6, 8), +m.slice(9, 11), +m.slice(11, 13), +m.slice(13, 15));
          expect(t).toBeGreaterThanOrEqual(Math.floor(started / 1000) * 1000);
          expect(t).toBeLessThanOrEqual(ended);
        }
        if (c.naming === 'legacy') {
          const secs = Number(namePattern(c).exec(n)![1]!.slice(0, 10));
          expect(secs).toBeGreaterThanOrEqual(Math.floor(started / 1000));
          expect(secs).toBeLessThanOrEqual(Math.ceil(ended / 1000));
        }
        back.push(...entries.map(comparable));
      }
      expect(back.length).toBe(inputEvents[input]!.length);
      expect(back).toEqual(inputEvents[input]);
    }, 180_000);
  }
});
