/**
 * The database named by the two statements that change a connection's
 * default database: `USE db` and `DROP {DATABASE|SCHEMA} [IF EXISTS] db`.
 * Only these shapes are read; anything else gives undefined (not a guess).
 *
 *   useTarget('uSe `my``db` ;')        // 'my`db'
 *   dropDatabaseTarget('DROP SCHEMA IF EXISTS x')  // 'x'
 */

type Token = { word: string } | { quoted: string } | { other: string };

/** Split SQL into words, quoted identifiers and other characters, skipping blanks and comments. Undefined when a quote or comment is not closed. */
function tokens(sql: string): Token[] | undefined {
  const out: Token[] = [];
  const n = sql.length;
  let i = 0;
  while (i < n) {
    const c = sql[i]!;
    if (c === ' ' || c === '\t' || c === '\n' || c === '\r' || c === '\f' || c === '\v') {
      i++;
    } else if (c === '/' && sql[i + 1] === '*') {
      // A versioned comment (`/*!50000 ... */`) is executed by the server: its content is not a comment.
      if (sql[i + 2] === '!') return undefined;
      const end = sql.indexOf('*/', i + 2);
      if (end < 0) return undefined;
      i = end + 2;
    } else if (c === '#' || (c === '-' && sql[i + 1] === '-' && (i + 2 >= n || /\s/.test(sql[i + 2]!)))) {
      const end = sql.indexOf('\n', i);
      i = end < 0 ? n : end + 1;
    } else if (c === '`' || c === '"') {
      // A doubled quote inside stands for one. `"` quotes identifiers under ANSI_QUOTES, the only mode
      // in which a successful `USE "db"` can have run.
      let v = '';
      let j = i + 1;
      for (;;) {
        const k = sql.indexOf(c, j);
        if (k < 0) return undefined;
        v += sql.slice(j, k);
        if (sql[k + 1] === c) {
          v += c;
          j = k + 2;
        } else {
          i = k + 1;
          break;
        }
      }
      out.push({ quoted: v });
    } else if (/[\p{L}\p{N}_$\u0080-\uffff]/u.test(c)) {
      let j = i + 1;
      while (j < n && /[\p{L}\p{N}_$\u0080-\uffff]/u.test(sql[j]!)) j++;
      // Astral characters (4-byte UTF-8) are two UTF-16 units; the class above takes both.
      out.push({ word: sql.slice(i, j) });
      i = j;
    } else {
      out.push({ other: c });
      i++;
    }
  }
  return out;
}

function isWord(t: Token | undefined, w: string): boolean {
  return t !== undefined && 'word' in t && t.word.toLowerCase() === w;
}

/** The name a token stands for when it is an identifier. */
function name(t: Token | undefined): string | undefined {
  if (t === undefined) return undefined;
  if ('quoted' in t) return t.quoted;
  if ('word' in t) return t.word;
  return undefined;
}

/** The end of a statement: nothing, or semicolons only. */
function atEnd(ts: Token[], from: number): boolean {
  for (let i = from; i < ts.length; i++) {
    const t = ts[i]!;
    if (!('other' in t) || t.other !== ';') return false;
  }
  return true;
}

/**
 * The database of a `USE db` statement, any case, quoted with backticks or
 * double quotes or not, with comments and a trailing `;`.
 * @returns the database name, or undefined when the text is not such a statement
 */
export function useTarget(sql: string): string | undefined {
  const ts = tokens(sql);
  if (!ts || !isWord(ts[0], 'use')) return undefined;
  const db = name(ts[1]);
  return db !== undefined && db !== '' && atEnd(ts, 2) ? db : undefined;
}

/**
 * The database of a `DROP {DATABASE|SCHEMA} [IF EXISTS] db` statement.
 * @returns the database name, or undefined when the text is not such a statement
 */
export function dropDatabaseTarget(sql: string): string | undefined {
  const ts = tokens(sql);
  if (!ts || !isWord(ts[0], 'drop') || !(isWord(ts[1], 'database') || isWord(ts[1], 'schema'))) return undefined;
  let i = 2;
  if (isWord(ts[2], 'if') && isWord(ts[3], 'exists')) i = 4;
  const db = name(ts[i]);
  return db !== undefined && db !== '' && atEnd(ts, i + 1) ? db : undefined;
}
