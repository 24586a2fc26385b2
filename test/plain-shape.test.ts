/**
 * The plain-shape fast path (ScannerOptions.plainShape, what `info` reads with) against the
 * full parse. Over
 * every fixture, generated inputs and damaged ones: the same entries, the same problems
 * (code, message, byte range, record number), the same info report and security report.
 * The plain-shape parsers are also checked record by record against the full parsers,
 * and shown to take the records servers write (else the comparisons would prove little).
 */
import { readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { generateLogString } from '../bench/generate.js';
import { AuditLogError } from '../src/errors.js';
import { inspect } from '../src/info.js';
import { AuditReader, type AuditReaderOptions } from '../src/reader.js';
import type { ScanItem } from '../src/scanners/scanner.js';
import { parseAttributeRecord, parseElementRecord, plainAttributeRecord, plainElementRecord } from '../src/scanners/xml.js';
import { SecurityTally } from '../src/security.js';
import { chunks, FIXTURES, fixtureFiles } from './helpers.js';
import { applyAll, op, type Op } from './mutations.js';

const SEED = 20261201;

/** Every file under fixtures/ but the provenance notes and the expectations table. */
const allButNotes = () => fixtureFiles().filter((p) => !p.endsWith('.md') && !p.endsWith('.tsv'));

/** What a read gives, as comparable data: entries whole, problems with their positions. */
function items(bytes: Uint8Array, plainShape: boolean, chunk = bytes.length || 1, opts: AuditReaderOptions = { keepRaw: false }): unknown[] {
  const r = new AuditReader({ ...opts, plainShape });
  const out: ScanItem[] = [];
  try {
    for (const c of chunks(bytes, chunk)) out.push(...r.push(c));
    out.push(...r.end());
  } catch (e) {
    // An input that is no audit log (an encrypted one, read without its layers here).
    if (!(e instanceof AuditLogError)) throw e;
    out.push(e);
  }
  return out.map((i) => (i instanceof AuditLogError ? { problem: i.code, message: i.message, ctx: i.ctx } : i));
}

/** `info --json`'s report and the security report of one input, or the error that stopped it. */
async function report(src: string | Uint8Array, plainShape: boolean): Promise<string> {
  const security = new SecurityTally();
  try {
    const r = await inspect(src, { plainShape, onEntry: (e) => security.add(e) });
    return JSON.stringify({ ...r, security: security.report() }, null, 1);
  } catch (e) {
    if (!(e instanceof AuditLogError)) throw e;
    return `error ${e.code}: ${e.message}`;
  }
}

describe('the plain-shape fast path reads what the full parse reads', () => {
  test('over every fixture: the same info and security reports', async () => {
    const files = allButNotes();
    expect(files.length).toBeGreaterThan(50);
    for (const f of files) expect(await report(f, true), relative(FIXTURES, f)).toBe(await report(f, false));
  });

  test('over every fixture, fed in small chunks: the same entries and problems', () => {
    for (const f of allButNotes()) {
      const bytes = new Uint8Array(readFileSync(f));
      for (const size of [bytes.length || 1, 97, 7]) expect(items(bytes, true, size), `${relative(FIXTURES, f)} in chunks of ${size}`).toEqual(items(bytes, false, size));
    }
  });

  test('over every fixture, with raw bytes kept and local times converted (as convert and read read): the same entries', () => {
    for (const f of allButNotes()) {
      const bytes = new Uint8Array(readFileSync(f));
      for (const opts of [{ keepRaw: true }, { keepRaw: true, sourceTz: '+02:00' }]) {
        for (const size of [bytes.length || 1, 97]) expect(items(bytes, true, size, opts), `${relative(FIXTURES, f)} ${JSON.stringify(opts)} in chunks of ${size}`).toEqual(items(bytes, false, size, opts));
      }
    }
  });

  for (const format of ['new', 'old', 'json'] as const) {
    const plain = Buffer.from(generateLogString({ format, records: 400, seed: 7 }));
    const hostile = Buffer.from(generateLogString({ format, records: 400, seed: 8, hostile: true }));

    test(`${format}: generated inputs, plain and with hostile values, read the same`, async () => {
      for (const b of [plain, hostile]) {
        expect(items(b, true, 4096)).toEqual(items(b, false, 4096));
        expect(await report(b, true)).toBe(await report(b, false));
      }
    });

    test(`${format}: damaged inputs (fuzz mutations, markup bytes among them) give the same problems and reports`, async () => {
      // Bytes that are markup or end the plain shape: where a fast path could go wrong.
      const markup = fc.constantFrom(...[...'<>/&"=;_ \n\tAZ'].map((c) => c.charCodeAt(0)), 0x80, 0xc3, 0xff, 0);
      const input = hostile;
      const pos = fc.nat({ max: input.length - 1 });
      const markupOp: fc.Arbitrary<Op> = fc.record({ kind: fc.constant('mutate' as const), at: fc.array(pos, { minLength: 1, maxLength: 6 }), values: fc.array(markup, { minLength: 6, maxLength: 6 }) });
      await fc.assert(
        fc.asyncProperty(fc.array(fc.oneof(op(input.length), markupOp), { minLength: 1, maxLength: 3 }), fc.integer({ min: 1, max: 5000 }), async (ops, chunk) => {
          const bytes = applyAll(input, ops).bytes;
          expect(items(bytes, true, chunk)).toEqual(items(bytes, false, chunk));
          expect(await report(bytes, true)).toBe(await report(bytes, false));
        }),
        { seed: SEED, numRuns: 60 },
      );
    });
  }
});

describe('the plain-shape parsers', () => {
  /** The records of an XML input, as byte ranges from `<AUDIT_RECORD` through their first end. */
  function records(b: Buffer, elem: boolean): [number, number][] {
    const out: [number, number][] = [];
    const close = elem ? '</AUDIT_RECORD>' : '>';
    for (let p = b.indexOf('<AUDIT_RECORD'); p >= 0; ) {
      const c = b.indexOf(close, p + 13);
      if (c < 0) break;
      out.push([p, c + close.length]);
      p = b.indexOf('<AUDIT_RECORD', c);
    }
    return out;
  }

  for (const [format, elem] of [['new', true], ['old', false]] as const) {
    test(`${format}: take the records servers write, with the full parser's fields`, () => {
      for (const hostile of [false, true]) {
        const b = Buffer.from(generateLogString({ format, records: 300, seed: 3, hostile }));
        let plainCount = 0;
        for (const [s, e] of records(b, elem)) {
          const got = elem ? plainElementRecord(b, s, e) : plainAttributeRecord(b, s, e);
          const full = (elem ? parseElementRecord : parseAttributeRecord)(b.toString('utf8', s, e));
          if (got === undefined) continue;
          plainCount++;
          expect(got).toEqual(full);
        }
        // Hostile values (entities, quotes) stay plain; only non-ASCII bytes leave it to the full parser.
        expect(plainCount).toBeGreaterThan(hostile ? 150 : 299);
      }
    });
  }

  const NEW_NOT_PLAIN: Record<string, string> = {
    'a non-ASCII byte': '<AUDIT_RECORD><NAME>Query</NAME><SQLTEXT>é</SQLTEXT></AUDIT_RECORD>',
    'a field without a mapping row': '<AUDIT_RECORD><NAME>Query</NAME><EXTRA>1</EXTRA></AUDIT_RECORD>',
    'a repeated field': '<AUDIT_RECORD><NAME>Query</NAME><NAME>Quit</NAME></AUDIT_RECORD>',
    'a blank inside a tag': '<AUDIT_RECORD><NAME >Query</NAME></AUDIT_RECORD>',
    'an element closed by another name': '<AUDIT_RECORD><NAME>Query</HOST></AUDIT_RECORD>',
    'an element closed by a name of the same length': '<AUDIT_RECORD><HOST>h</HXST></AUDIT_RECORD>',
    'a nested element': '<AUDIT_RECORD><CONNECTION_ATTRIBUTES><ATTRIBUTE><NAME>a</NAME><VALUE>b</VALUE></ATTRIBUTE></CONNECTION_ATTRIBUTES></AUDIT_RECORD>',
    'a stray closing tag': '<AUDIT_RECORD></NAME></AUDIT_RECORD>',
    'a record inside': '<AUDIT_RECORD><AUDIT_RECORD><NAME>Query</NAME></AUDIT_RECORD>',
    'a lower-case name': '<AUDIT_RECORD><name>Query</name></AUDIT_RECORD>',
  };
  const OLD_NOT_PLAIN: Record<string, string> = {
    'a non-ASCII byte': '<AUDIT_RECORD NAME="Query" SQLTEXT="é"/>',
    'no attribute': '<AUDIT_RECORD />',
    'an attribute without a mapping row': '<AUDIT_RECORD NAME="Query" EXTRA="1"/>',
    'a repeated attribute': '<AUDIT_RECORD NAME="Query" NAME="Quit"/>',
    'a blank around =': '<AUDIT_RECORD NAME = "Query"/>',
    'a value without quotes': '<AUDIT_RECORD NAME=Query/>',
    'a < in a value': '<AUDIT_RECORD NAME="a<b"/>',
    'text after the last attribute': '<AUDIT_RECORD NAME="Query" x/>',
    'no closing "/>"': '<AUDIT_RECORD NAME="Query">',
  };
  for (const [format, table, plain] of [['NEW', NEW_NOT_PLAIN, plainElementRecord], ['OLD', OLD_NOT_PLAIN, plainAttributeRecord]] as const) {
    for (const [what, rec] of Object.entries(table)) {
      test(`${format} with ${what} is left to the full parser`, () => {
        const b = Buffer.from(rec);
        expect(plain(b, 0, b.length)).toBeUndefined();
      });
    }
  }

  test('entities in values are decoded as the full parser decodes them', () => {
    const n = Buffer.from('<AUDIT_RECORD><NAME>Query</NAME><SQLTEXT>a &lt; b &amp;&#10;c</SQLTEXT><OS_LOGIN/></AUDIT_RECORD>');
    expect(plainElementRecord(n, 0, n.length)).toEqual(parseElementRecord(n.toString()));
    expect((plainElementRecord(n, 0, n.length) as { fields: Record<string, string> }).fields.SQLTEXT).toBe('a < b &\nc');
    const o = Buffer.from('<AUDIT_RECORD\n  NAME="Query"\n  SQLTEXT="x &quot;y&quot;"/>');
    expect(plainAttributeRecord(o, 0, o.length)).toEqual(parseAttributeRecord(o.toString()));
  });
});
