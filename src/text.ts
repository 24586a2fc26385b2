/**
 * Text shown to people: control characters escaped, input excerpts bounded.
 *
 *   stderr.write(escapeControls(userName));             // "\\x1b[2J" instead of clearing the screen
 *   `saw ${excerpt(bytes.toString('latin1'))}`          // at most 60 characters, quoted and escaped
 */

/** C0 controls (tab and newline too), DEL and C1 controls: what a terminal may act on. */
const CONTROLS = /[\u0000-\u001f\u007f-\u009f]/g;

// eslint-disable-next-line no-control-regex
const UNSAFE = /[\x00-\x1f\x7f-\x9f\u2028\u2029\u200e\u200f\u202a-\u202e\u2066-\u2069]/;
// eslint-disable-next-line no-control-regex
const UNSAFE_G = /[\x00-\x1f\x7f-\x9f\u2028\u2029\u200e\u200f\u202a-\u202e\u2066-\u2069]/g;
// eslint-disable-next-line no-control-regex
const UNSAFE_OR_BACKSLASH_G = /[\\\x00-\x1f\x7f-\x9f\u2028\u2029\u200e\u200f\u202a-\u202e\u2066-\u2069]/g;

/** One character as an escape: `\\n`, `\\t`, `\\r`, `\\\\`, `\\xNN` or `\\uNNNN`. */
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
 * Escape C0 and C1 control characters, ESC and DEL (`\x1b`, `\n`, `\x9b`, ...) so
 * a value cannot move the cursor, clear the screen or fake a line of output.
 * Backslashes are left alone: the escapes are for a person, not a parser.
 */
export function escapeControls(s: string): string {
  CONTROLS.lastIndex = 0;
  return CONTROLS.test(s) ? s.replace(CONTROLS, escapeOne) : s;
}

/** Characters of input an error message may quote. */
export const EXCERPT_CHARS = 60;

/**
 * A short quoted excerpt of something seen in the input, for an error
 * message: at most `max` characters (then `...`), JSON-quoted, with control
 * characters (C0, DEL, C1) escaped.
 */
export function excerpt(s: string, max = EXCERPT_CHARS): string {
  return escapeControls(JSON.stringify(s.length > max ? s.slice(0, max) : s)) + (s.length > max ? '...' : '');
}

/**
 * `s` with what is unsafe on a terminal escaped: the controls of escapeControls,
 * and also line and paragraph separators and bidirectional overrides.
 *
 *   escapeText('a\x1b[2Jb')            // 'a\\x1b[2Jb'
 *   escapeText('a\\b\tc', true)        // 'a\\\\b\\tc' (backslashes doubled: reversible, for TSV)
 *
 * @param backslashes also double backslashes, so the escaping can be undone (tab-separated output)
 */
export function escapeText(s: string, backslashes = false): string {
  if (backslashes) return s.replace(UNSAFE_OR_BACKSLASH_G, escapeOne);
  return UNSAFE.test(s) ? s.replace(UNSAFE_G, escapeOne) : s;
}
