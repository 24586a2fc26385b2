/**
 * Text shown to people: control characters escaped, input excerpts bounded.
 *
 *   stderr.write(escapeControls(userName));             // "\\x1b[2J" instead of clearing the screen
 *   `saw ${excerpt(bytes.toString('latin1'))}`          // at most 60 characters, quoted and escaped
 */

/** C0 controls (tab and newline too), DEL and C1 controls: what a terminal may act on. */
const CONTROLS = /[\u0000-\u001f\u007f-\u009f]/g;

function escapeOne(c: string): string {
  switch (c) {
    case '\n':
      return '\\n';
    case '\r':
      return '\\r';
    case '\t':
      return '\\t';
    default:
      return `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`;
  }
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
