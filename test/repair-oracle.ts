/**
 * Independent oracles for the repair tests: where each record of a whole log
 * ends (found with plain string searches and a tiny brace matcher, not with
 * the project's scanners), and strict parsers for what repair writes
 * (saxes per XML document, JSON.parse, csv-parse).
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse as parseCsv } from 'csv-parse/sync';
import { SaxesParser } from 'saxes';
import type { Framing } from '../src/repair/index.js';
import { repair, type RepairOptions, type RepairReport } from '../src/repair/index.js';

/** Byte offsets just past the last byte of each record (`>` of `</AUDIT_RECORD>` or `/>`, `}`, a CSV record's last byte). */
export function recordEnds(orig: Buffer, kind: 'new' | 'old' | 'json' | 'jsonl' | 'csv'): number[] {
  const out: number[] = [];
  if (kind === 'new') {
    for (let i = orig.indexOf('</AUDIT_RECORD>'); i >= 0; i = orig.indexOf('</AUDIT_RECORD>', i + 1)) out.push(i + 15);
  } else if (kind === 'old') {
    // Values never hold a raw `>`: the first `>` after a start tag closes the record.
    for (let i = orig.indexOf('<AUDIT_RECORD'); i >= 0; i = orig.indexOf('<AUDIT_RECORD', i + 1)) out.push(orig.indexOf('>', i) + 1);
  } else if (kind === 'json' || kind === 'jsonl') {
    let depth = 0;
    let inStr = false;
    let esc = false;
    const top = kind === 'json' ? 1 : 0;
    for (let i = 0; i < orig.length; i++) {
      const c = orig[i]!;
      if (inStr) {
        if (esc) esc = false;
        else if (c === 0x5c) esc = true;
        else if (c === 0x22) inStr = false;
      } else if (c === 0x22) inStr = true;
      else if (c === 0x7b || c === 0x5b) depth++;
      else if (c === 0x7d || c === 0x5d) {
        depth--;
        if (c === 0x7d && depth === top) out.push(i + 1);
      }
    }
  } else {
    // CSV: a record ends at an LF outside quotes.
    let inQ = false;
    for (let i = 0; i < orig.length; i++) {
      const c = orig[i]!;
      if (c === 0x22) inQ = !inQ;
      else if (c === 0x0a && !inQ) out.push(i);
    }
  }
  return out;
}

/** Parse strictly what a repair wrote, by framing; returns the number of records. Throws on anything not well-formed. */
export function strictRecords(out: Buffer, framing: Framing, kind: 'new' | 'old' | 'json' | 'jsonl' | 'csv'): number {
  const text = out.toString('utf8');
  if (framing === 'xml') {
    // Several documents back to back (Percona): each one on its own.
    const docs = text.split(/(?=<\?xml )/).filter((d) => d.trim() !== '');
    let n = 0;
    for (const d of docs) {
      const p = new SaxesParser({ xmlns: false });
      p.on('error', (e) => {
        throw e;
      });
      p.on('closetag', (t) => {
        if (t.name === 'AUDIT_RECORD') n++;
      });
      p.write(d).close();
    }
    return n;
  }
  if (framing === 'json-array') {
    const v = JSON.parse(text) as unknown[];
    if (!Array.isArray(v)) throw new Error('not an array');
    return v.length;
  }
  if (kind === 'csv') return (parseCsv(text, { relax_column_count: true }) as unknown[]).length;
  const lines = text.split('\n');
  if (lines.pop() !== '') throw new Error('last line is not whole');
  for (const l of lines) JSON.parse(l);
  return lines.length;
}

const scratch = mkdtempSync(join(tmpdir(), 'auditlog-repair-'));
let seq = 0;

/** Repair `input` (written to a scratch file named `name`) to a scratch output; returns the bytes written and the report. */
export async function repairBytes(input: Uint8Array, opts: RepairOptions = {}, name = 'in.log'): Promise<{ out: Buffer; report: RepairReport }> {
  const n = ++seq;
  const file = join(scratch, `${n}-${name}`);
  const output = join(scratch, `${n}-out-${name}`);
  writeFileSync(file, input);
  const report = await repair(file, { output, ...opts });
  return { out: readFileSync(output), report };
}

export const SCRATCH = scratch;
