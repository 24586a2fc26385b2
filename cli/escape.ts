/**
 * Values made safe to print: control characters (C0, DEL, C1), line and
 * paragraph separators and bidirectional overrides never reach a terminal
 * raw; they are written as `\n`, `\t`, `\r`, `\xNN` or `\uNNNN`.
 *
 *   escapeText('a\x1b[2Jb')            // 'a\\x1b[2Jb'
 *   escapeText('a\\b\tc', true)        // 'a\\\\b\\tc' (backslashes doubled: reversible, for TSV)
 */

// eslint-disable-next-line no-control-regex
const UNSAFE = /[\x00-\x1f\x7f-\x9f\u2028\u2029\u200e\u200f\u202a-\u202e\u2066-\u2069]/;
// eslint-disable-next-line no-control-regex
const UNSAFE_G = /[\x00-\x1f\x7f-\x9f\u2028\u2029\u200e\u200f\u202a-\u202e\u2066-\u2069]/g;
// eslint-disable-next-line no-control-regex
const UNSAFE_OR_BACKSLASH_G = /[\\\x00-\x1f\x7f-\x9f\u2028\u2029\u200e\u200f\u202a-\u202e\u2066-\u2069]/g;

function escapeOne(c: string): string {
  switch (c) {
    case '\\':
      return '\\\\';
    case '\n':
      return '\\n';
    case '\t':
      return '\\t';
    case '\r':
      return '\\r';
  }
  const n = c.charCodeAt(0);
  return n <= 0xff ? `\\x${n.toString(16).padStart(2, '0')}` : `\\u${n.toString(16).padStart(4, '0')}`;
}

/**
 * `s` with its unsafe characters escaped.
 * @param s any text (from an audit record)
 * @param backslashes also double backslashes, so the escaping can be undone (tab-separated output)
 * @returns text without a raw control character
 */
export function escapeText(s: string, backslashes = false): string {
  if (backslashes) return s.replace(UNSAFE_OR_BACKSLASH_G, escapeOne);
  return UNSAFE.test(s) ? s.replace(UNSAFE_G, escapeOne) : s;
}
