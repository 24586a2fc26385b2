/**
 * XML text helpers shared by the NEW and OLD scanners: entity decoding that is
 * tolerant of what the servers write (Percona's `&#10;` and other control
 * character references that strict XML parsers reject).
 *
 *   decodeXml('a &lt; b&#10;c') === 'a < b\nc'
 */

const NAMED: Record<string, string> = { lt: '<', gt: '>', amp: '&', quot: '"', apos: "'" };
const ENTITY_RE = /&(#x[0-9a-fA-F]{1,6}|#[0-9]{1,7}|lt|gt|amp|quot|apos);/g;

function replaceEntity(whole: string, body: string): string {
  if (body.charCodeAt(0) !== 0x23) return NAMED[body] ?? whole;
  const cp = body.charCodeAt(1) === 0x78 ? parseInt(body.slice(2), 16) : parseInt(body.slice(1), 10);
  return cp <= 0x10ffff && !(cp >= 0xd800 && cp <= 0xdfff) ? String.fromCodePoint(cp) : whole;
}

/** Decode the five named entities and numeric references; anything else stays as written. */
export function decodeXml(s: string): string {
  return s.indexOf('&') < 0 ? s : s.replace(ENTITY_RE, replaceEntity);
}
