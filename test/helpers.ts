/** Test helpers: fixtures, chunked feeding, collecting scanner output. */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { SaxesParser } from 'saxes';
import { expect } from 'vitest';
import type { Entry } from '../src/entry.js';
import type { Fields } from '../src/mapping.js';
import { AuditLogError } from '../src/errors.js';
import type { Scanner, ScanItem } from '../src/scanners/scanner.js';

export const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
export const FIXTURES = join(ROOT, 'fixtures');

/** Every file under fixtures/ (absolute paths), sorted. */
export function fixtureFiles(dir = FIXTURES): string[] {
  return readdirSync(dir)
    .flatMap((n) => {
      const p = join(dir, n);
      return statSync(p).isDirectory() ? fixtureFiles(p) : [p];
    })
    .sort();
}

/** The fixtures that are audit inputs: every file but the provenance notes, the expectations and the password map. */
export function fixtureInputs(): string[] {
  return fixtureFiles().filter((p) => !/(\.md|\.expected\.jsonl|EXPECTED\.tsv|passwords\.json)$/.test(p));
}

export function fixturePath(rel: string): string {
  return join(FIXTURES, rel);
}

export function fixture(rel: string): Buffer {
  return readFileSync(fixturePath(rel));
}

/** Rows of fixtures/EXPECTED.tsv. */
export interface ExpectedRow {
  file: string;
  format: string;
  records: string;
  complete: string;
  notes: string;
}

export function expectedRows(): ExpectedRow[] {
  const lines = readFileSync(join(FIXTURES, 'EXPECTED.tsv'), 'utf8').trimEnd().split('\n');
  const head = lines.shift()!.split('\t');
  return lines.map((l) => {
    const cells = l.split('\t');
    return Object.fromEntries(head.map((h, i) => [h, cells[i] ?? ''])) as unknown as ExpectedRow;
  });
}

/** Split bytes into chunks of `size` bytes. */
export function chunks(bytes: Uint8Array, size: number): Uint8Array[] {
  const out: Uint8Array[] = [];
  for (let i = 0; i < bytes.length; i += size) out.push(bytes.subarray(i, i + size));
  return out;
}

/** Split bytes at the given offsets. */
export function splitAt(bytes: Uint8Array, cuts: number[]): Uint8Array[] {
  const c = [...new Set(cuts)].filter((x) => x > 0 && x < bytes.length).sort((a, b) => a - b);
  const out: Uint8Array[] = [];
  let p = 0;
  for (const x of c) {
    out.push(bytes.subarray(p, x));
    p = x;
  }
  out.push(bytes.subarray(p));
  return out;
}

/** Feed chunks (copied, so a scanner cannot rely on buffers it was given) and collect everything. */
export function feed(scanner: Scanner, parts: Uint8Array[]): ScanItem[] {
  const items: ScanItem[] = [];
  for (const p of parts) items.push(...scanner.push(Uint8Array.from(p)));
  items.push(...scanner.end());
  return items;
}

/**
 * Feed chunks through one reused buffer that is overwritten after every push:
 * a scanner must not keep references to the chunks it was given.
 */
export function feedReusing(scanner: Scanner, parts: Uint8Array[]): ScanItem[] {
  const items: ScanItem[] = [];
  const shared = Buffer.alloc(Math.max(1, ...parts.map((p) => p.length)));
  for (const p of parts) {
    shared.set(p);
    items.push(...scanner.push(shared.subarray(0, p.length)));
    shared.fill(0x3c);
  }
  items.push(...scanner.end());
  return items;
}

export function entriesOf(items: ScanItem[]): Entry[] {
  return items.filter((i): i is Entry => !(i instanceof AuditLogError));
}

export function problemsOf(items: ScanItem[]): AuditLogError[] {
  return items.filter((i): i is AuditLogError => i instanceof AuditLogError);
}

/** A comparable summary of scanner output: entries with raw as text, problems by code and range. */
export function summary(items: ScanItem[]): unknown[] {
  return items.map((i) =>
    i instanceof AuditLogError
      ? { problem: i.code, offset: i.ctx.offset, end: i.ctx.end, index: i.ctx.index }
      : { ...i, raw: i.raw ? Buffer.from(i.raw).toString('latin1') : undefined },
  );
}

/** Deterministic pseudo-random split points. */
export function randomCuts(len: number, n: number, seed: number): number[] {
  let a = seed >>> 0;
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    a = (Math.imul(a, 1664525) + 1013904223) >>> 0;
    out.push(a % Math.max(1, len));
  }
  return out;
}

/** Records of an XML document by a strict XML parser (saxes): NEW child elements or OLD attributes. */
export function saxesRecords(xml: string): { fields: Fields; attributes?: Record<string, string> }[] {
  const parser = new SaxesParser({ xmlns: false });
  const out: { fields: Fields; attributes?: Record<string, string> }[] = [];
  const stack: string[] = [];
  let text = '';
  let cur: { fields: Fields; attributes?: Record<string, string> } | undefined;
  let attrName = '';
  parser.on('opentag', (t) => {
    stack.push(t.name);
    text = '';
    if (t.name === 'AUDIT_RECORD') cur = { fields: { ...(t.attributes as Record<string, string>) } };
    if (t.name === 'CONNECTION_ATTRIBUTES' && cur) cur.attributes = {};
  });
  parser.on('text', (t) => (text += t));
  parser.on('closetag', (t) => {
    stack.pop();
    const parent = stack[stack.length - 1];
    if (t.name === 'AUDIT_RECORD') out.push(cur!);
    else if (parent === 'AUDIT_RECORD' && t.name !== 'CONNECTION_ATTRIBUTES') cur!.fields[t.name] = text;
    else if (parent === 'ATTRIBUTE' && t.name === 'NAME') attrName = text;
    else if (parent === 'ATTRIBUTE' && t.name === 'VALUE') cur!.attributes![attrName] = text;
    text = '';
  });
  parser.on('error', (e) => {
    throw e;
  });
  parser.write(xml).close();
  return out;
}


/** Comparable form of scan items. */
export function norm(items: ScanItem[]): unknown[] {
  return items.map((x) =>
    x instanceof AuditLogError
      ? { code: x.code, offset: x.ctx.offset, end: x.ctx.end, index: x.ctx.index, detail: x.detail }
      : { event: x.event, format: x.format, at: x.at, raw: Buffer.from(x.raw!).toString('latin1') },
  );
}

/**
 * Checks the byte ranges: each raw is exactly its input bytes, ranges are in
 * order and do not overlap, and raws + problem bytes + the bytes outside
 * records put back together give the input. Returns the outside bytes.
 */
export function outside(input: Buffer, items: ScanItem[]): string[] {
  const ranges = items
    .map((x) => (x instanceof AuditLogError ? { o: x.ctx.offset!, e: x.ctx.end!, raw: null, junk: x.code === 'UNEXPECTED_DATA' || x.code === 'SKIPPED_DATA' } : { o: x.at.offset, e: x.at.end, raw: x.raw!, junk: false }))
    .filter((r) => !r.junk);
  const pieces: Buffer[] = [];
  const gaps: string[] = [];
  let p = 0;
  for (const r of ranges) {
    expect(r.o).toBeGreaterThanOrEqual(p);
    expect(r.e).toBeGreaterThan(r.o);
    if (r.o > p) gaps.push(input.subarray(p, r.o).toString('latin1'));
    pieces.push(input.subarray(p, r.o));
    if (r.raw) expect(Buffer.from(r.raw).equals(input.subarray(r.o, r.e))).toBe(true);
    pieces.push(r.raw ? Buffer.from(r.raw) : input.subarray(r.o, r.e));
    p = r.e;
  }
  if (p < input.length) gaps.push(input.subarray(p).toString('latin1'));
  pieces.push(input.subarray(p));
  expect(Buffer.concat(pieces).equals(input)).toBe(true);
  return gaps;
}
