/**
 * Hostile inputs for `npm run bench` (section `hostile`), each as large as the ordinary
 * input it is measured beside, generated deterministically into bench/.data:
 *
 *   whitespace-json   `[`, a record, MIB of blanks (spaces, a newline every 1 MiB), a record, `]`
 *   whitespace-xml    an XML header, MIB of blanks right after `<AUDIT>`, records, the footer
 *   long-records      NEW XML of 4 records whose SQLTEXT shares the MIB between them
 *   distinct-values   JSON whose every record has its own class, user and command
 *   gzip-bomb         a .gz of MIB of blanks after `<AUDIT>` (a few hundred KiB on disk)
 *
 *   const path = await ensureHostile('long-records', dir, 200);
 */
import { once } from 'node:events';
import { createWriteStream, existsSync, renameSync } from 'node:fs';
import { join } from 'node:path';
import { createGzip } from 'node:zlib';

export type HostileKind = 'whitespace-json' | 'whitespace-xml' | 'long-records' | 'distinct-values' | 'gzip-bomb';
export const HOSTILE_KINDS: readonly HostileKind[] = ['whitespace-json', 'whitespace-xml', 'long-records', 'distinct-values', 'gzip-bomb'];

const MiB = 1024 * 1024;
const XML_HEAD = '<?xml version="1.0" encoding="utf-8"?>\n<AUDIT>\n';
const jsonRec = (i: number, cls = 'general', user = 'root', cmd = 'Query') =>
  `{ "timestamp": "2020-10-19 19:25:${String(i % 60).padStart(2, '0')}", "id": 0, "class": "${cls}", "event": "status", "connection_id": ${i}, "account": { "user": "${user}", "host": "localhost" }, "login": { "user": "${user}", "os": "", "ip": "", "proxy": "" }, "general_data": { "command": "${cmd}", "sql_command": "select", "query": "select ${i}", "status": 0 } }`;
const xmlRec = (i: number, sql: string) =>
  ` <AUDIT_RECORD>\n  <TIMESTAMP>2019-10-03T14:09:38 UTC</TIMESTAMP>\n  <RECORD_ID>${i}_2019-10-03T14:06:33</RECORD_ID>\n  <NAME>Query</NAME>\n  <CONNECTION_ID>5</CONNECTION_ID>\n  <STATUS>0</STATUS>\n  <STATUS_CODE>0</STATUS_CODE>\n  <USER>root[root] @ localhost [127.0.0.1]</USER>\n  <OS_LOGIN/>\n  <HOST>localhost</HOST>\n  <IP>127.0.0.1</IP>\n  <COMMAND_CLASS>select</COMMAND_CLASS>\n  <SQLTEXT>${sql}</SQLTEXT>\n </AUDIT_RECORD>\n`;

/** One MiB of blanks: spaces, ending with a newline. */
const BLANKS = Buffer.alloc(MiB, 0x20);
BLANKS[MiB - 1] = 0x0a;

function* pieces(kind: HostileKind, mib: number): Generator<string | Buffer> {
  switch (kind) {
    case 'whitespace-json':
      yield `[\n${jsonRec(0)},\n`;
      for (let i = 0; i < mib; i++) yield BLANKS;
      yield `${jsonRec(1)}\n]\n`;
      return;
    case 'whitespace-xml':
    case 'gzip-bomb':
      yield XML_HEAD;
      for (let i = 0; i < mib; i++) yield BLANKS;
      yield xmlRec(1, 'select 1') + xmlRec(2, 'select 2') + '</AUDIT>\n';
      return;
    case 'long-records': {
      yield XML_HEAD;
      const each = Math.floor((mib * MiB) / 4);
      const chunk = 'x'.repeat(64 * 1024);
      for (let r = 1; r <= 4; r++) {
        const rec = xmlRec(r, '@@');
        const at = rec.indexOf('@@');
        yield rec.slice(0, at) + 'select ';
        for (let n = 0; n < each; n += chunk.length) yield chunk;
        yield rec.slice(at + 2);
      }
      yield '</AUDIT>\n';
      return;
    }
    case 'distinct-values': {
      yield '[\n';
      let bytes = 0;
      for (let i = 0; bytes < mib * MiB; i++) {
        const s = (i ? ',\n' : '') + jsonRec(i, `class_${i}`, `user_${i}`, `Command ${i}`);
        bytes += s.length;
        yield s;
      }
      yield '\n]\n';
      return;
    }
  }
}

/** The file of a hostile input of about `mib` MiB (decoded), made once. */
export async function ensureHostile(kind: HostileKind, dir: string, mib: number): Promise<string> {
  const path = join(dir, `hostile-${kind}-${mib}MiB${kind === 'gzip-bomb' ? '.xml.gz' : kind.endsWith('json') || kind === 'distinct-values' ? '.json' : '.xml'}`);
  if (existsSync(path)) return path;
  const tmp = `${path}.tmp`;
  const file = createWriteStream(tmp);
  const gz = kind === 'gzip-bomb' ? createGzip({ level: 9 }) : undefined;
  if (gz) gz.pipe(file);
  const out = gz ?? file;
  for (const p of pieces(kind, mib)) if (!out.write(p)) await once(out, 'drain');
  out.end();
  await once(file, 'finish');
  renameSync(tmp, path);
  return path;
}
