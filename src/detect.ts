/**
 * Format detection from content (the first bytes after the input layers),
 * never from the file name.
 *
 *   const fmt = detectFormat(firstBytes, false); // null: give me more bytes
 */
import { excerpt } from './text.js';
import type { FormatId } from './entry.js';
import { AuditLogError } from './errors.js';

/** How many bytes detection may look at before it must decide. */
export const SNIFF_BYTES = 64 * 1024;

const CSV_RE = /^"[A-Za-z][A-Za-z ]*","/;
const JSON_KEY_RE = /^\{\s*"([^"\\]*)"/;

/**
 * Decide the format of an input from its first bytes.
 *
 * @param buf the first bytes of the decoded stream
 * @param final true when `buf` is the whole input
 * @param file file name for the error
 * @returns the format, or null when more bytes are needed to tell
 * @throws AuditLogError UNKNOWN_FORMAT when the bytes are not an audit log we read
 */
export function detectFormat(buf: Uint8Array, final: boolean, file = '-'): FormatId | null {
  const enough = final || buf.length >= SNIFF_BYTES;
  const text = Buffer.from(buf.buffer, buf.byteOffset, Math.min(buf.length, SNIFF_BYTES)).toString('utf8');
  let i = 0;
  if (text.charCodeAt(0) === 0xfeff) i = 1;
  while (i < text.length && /\s/.test(text[i]!)) i++;
  if (i === text.length) {
    if (!enough) return null;
    throw unknown(file, text, 'the input is empty');
  }
  const fmt = decide(text, i, enough, final);
  if (fmt !== undefined) return fmt;
  // Not at a record boundary (a slice cut mid-record): look for the first line that starts one.
  const re = /\n[ \t]*(?=<AUDIT_RECORD|\{|"[A-Za-z][A-Za-z ]*",")/g;
  re.lastIndex = i;
  for (let m = re.exec(text); m; m = re.exec(text)) {
    const f = decide(text, m.index + m[0].length, enough, final);
    if (f !== undefined) return f;
  }
  if (!enough) return null;
  throw unknown(file, text.slice(i), recognise(text.slice(i)));
}

/** A format, null for "need more bytes", undefined for "not a format we read at this point". */
function decide(text: string, i: number, enough: boolean, final: boolean): FormatId | null | undefined {
  const c = text[i];
  if (c === '<') {
    const r = text.indexOf('<AUDIT_RECORD', i);
    if (r >= 0 && r + 13 < text.length) {
      const after = text[r + 13]!;
      const elem = after === '>';
      const rest = text.slice(r, r + 4096);
      const percona = elem ? /<RECORD>|<OS_USER>/.test(rest) : /\sRECORD="|\sOS_USER="/.test(rest);
      return elem ? (percona ? 'percona-new' : 'new') : percona ? 'percona-old' : 'old';
    }
    const t = text.slice(i, i + 7);
    // An input cut short inside its XML header still is (an empty) XML audit log.
    const cutHeader = enough && i + t.length === text.length && ['<?xml', '<AUDIT>', '<AUDIT_RECORD', '<!--'].some((h) => h.startsWith(t));
    if (!/^<(\?xml|AUDIT[\s>]|!--)/.test(t) && !cutHeader) return undefined;
    if (!enough) return null;
    return 'new'; // an XML audit document with no record yet
  }
  if (c === '{' || c === '[') {
    const o = text.indexOf('{', i);
    if (o < 0) {
      if (!enough) return null;
      return /^\[\s*\]?\s*$/.test(text.slice(i)) ? 'json' : undefined;
    }
    const m = JSON_KEY_RE.exec(text.slice(o, o + 512));
    if (!m) {
      // Cut short before the first key was whole: nothing complete to read, but still JSON.
      if (final && text.length - o < 512 && /^\{\s*("[^"\\]*)?$/.test(text.slice(o))) return 'json';
      return enough || text.length - o > 512 ? undefined : null;
    }
    if (m[1] === 'audit_record') return 'percona-json';
    if (m[1] === 'timestamp') return 'json';
    // MySQL Enterprise and Percona filter events: timestamp and class (or id) near the start.
    const head = text.slice(o, o + 2048);
    if (/"timestamp"\s*:/.test(head) && /"(class|id)"\s*:/.test(head)) return 'json';
    if (!enough && text.length - o < 2048) return null;
    return undefined;
  }
  if (c === '"') {
    const nl = text.indexOf('\n', i);
    const line = text.slice(i, nl < 0 ? undefined : nl);
    if (CSV_RE.test(line)) return 'percona-csv';
    if (final && nl < 0 && /^"[A-Za-z ]*("?,?"?)$/.test(line)) return 'percona-csv';
    return undefined;
  }
  return undefined;
}

/** Name formats we recognise but do not read, for a helpful message. */
function recognise(s: string): string {
  if (/"msg-type"\s*:/.test(s.slice(0, 512))) return 'it looks like McAfee/Trellix mysql-audit JSON, which is not supported';
  if (/^[^,\n]*,[^,\n]*,[^,\n]*,[^,\n]*,[^,\n]*,[^,\n]*,(CONNECT|DISCONNECT|QUERY|FAILED_CONNECT|TABLE|READ|WRITE),/m.test(s.slice(0, 4096)))
    return 'it looks like MariaDB server_audit CSV, which is not supported';
  return 'not a MySQL Enterprise or Percona audit log';
}

function unknown(file: string, seen: string, why: string): AuditLogError {
  return new AuditLogError('UNKNOWN_FORMAT', `unknown format: ${why}; saw ${excerpt(seen)}`, {
    stage: 'frame',
    file,
    offset: 0,
    recoverable: false,
  });
}
