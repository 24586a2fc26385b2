/**
 * Where decryption passwords come from. Never from a command-line flag value.
 *
 *   const pw = createPasswordSource({ passwordMapFile: 'keys.json', passwordFile: 'pw.txt' });
 *   const { password, iterations } = await pw.get('audit.20190415T151322.log.20190414T223342-2.enc');
 *
 * Sources, tried in this order for each file:
 *  1. a password map file, JSON keyed by the `pwd_id` in the file name:
 *     `{"20190403T142359-1": {"password": "...", "iterations": 568977}, "audit_log": {"password": "..."}}`;
 *     a name without a pwd_id (`audit.log.enc`, stdin) uses the `audit_log` entry;
 *  2. one password for every file: a password file (its first line, without the
 *     line break) or an environment variable named by the user;
 *  3. an interactive prompt function, when the caller gives one (the CLI's TTY prompt).
 * Iterations absent = EVP_BytesToKey (MySQL Enterprise); present = PBKDF2 (Percona).
 * No password at all: MISSING_PASSWORD naming the file.
 */
import { readFile } from 'node:fs/promises';
import { basename } from 'node:path';
import { AuditLogError } from '../errors.js';

/** A password and, for PBKDF2 (Percona), its iteration count. */
export interface PasswordEntry {
  password: string;
  iterations?: number;
}

/** What a prompt is told about the file it asks for. */
export interface PromptInfo {
  /** The pwd_id in the file name, when it has one. */
  pwdId?: string;
}

/** Asks the user for a file's password (a TTY prompt in the CLI). Resolve undefined to give up. */
export type PasswordPrompt = (file: string, info: PromptInfo) => Promise<string | PasswordEntry | undefined>;

/** Resolves the password of an encrypted input file. */
export interface PasswordSource {
  /** The password for `file`; throws MISSING_PASSWORD when there is none. */
  get(file: string): Promise<PasswordEntry>;
}

export interface PasswordSourceOptions {
  /** File whose first line is the password (a trailing `\n` or `\r\n` is stripped). */
  passwordFile?: string;
  /** Name of an environment variable that holds the password. */
  passwordEnv?: string;
  /** JSON map of pwd_id (or `audit_log`) to `{password, iterations?}`. */
  passwordMapFile?: string;
  /** The map itself, instead of a file. */
  passwordMap?: Record<string, unknown>;
  /** PBKDF2 iteration count for the password from passwordFile / passwordEnv / prompt. */
  iterations?: number;
  /** Interactive fallback. */
  prompt?: PasswordPrompt;
  /** Environment to read passwordEnv from. Defaults to process.env. */
  env?: Record<string, string | undefined>;
}

/** The map key for files whose name has no pwd_id (single-password era, before 8.0.17). */
export const LEGACY_PWD_ID = 'audit_log';

const PWD_ID_RE = /\.(\d{8}T\d{6}-\d+)\.enc$/;

/**
 * The pwd_id of an encrypted file's name: `audit.20190415T151322.log.20190414T223342-2.enc`
 * -> `20190414T223342-2`; undefined when the name has none (`audit.log.enc`).
 */
export function pwdIdFromFileName(file: string): string | undefined {
  return PWD_ID_RE.exec(basename(file))?.[1];
}

function invalid(detail: string, file?: string): AuditLogError {
  return new AuditLogError('INVALID_OPTION', detail, { stage: 'decrypt', file, recoverable: false });
}

function checkIterations(v: unknown, where: string, file?: string): number | undefined {
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 1) {
    throw invalid(`${where}: "iterations" must be a positive integer, got ${JSON.stringify(v)}`, file);
  }
  return v;
}

/** Validates one map value: `{password, iterations?}` or a bare password string. */
function mapEntry(v: unknown, key: string, mapName: string): PasswordEntry {
  if (typeof v === 'string') return { password: v };
  if (v !== null && typeof v === 'object' && typeof (v as { password?: unknown }).password === 'string') {
    const o = v as { password: string; iterations?: unknown };
    const iterations = checkIterations(o.iterations, `password map entry "${key}"`, mapName);
    return iterations === undefined ? { password: o.password } : { password: o.password, iterations };
  }
  throw invalid(`password map entry "${key}" must be {"password": "...", "iterations": N}`, mapName);
}

/** First line of a password file, without its line break. */
export function firstLine(text: string): string {
  const nl = text.indexOf('\n');
  const line = nl < 0 ? text : text.slice(0, nl);
  return line.endsWith('\r') ? line.slice(0, -1) : line;
}

async function readText(path: string, what: string): Promise<string> {
  try {
    return await readFile(path, 'utf8');
  } catch (e) {
    throw new AuditLogError('IO_ERROR', `cannot read ${what}: ${(e as Error).message}`, { stage: 'read', file: path, recoverable: false }, { cause: e });
  }
}

/** A source that gives the same password to every file (library use, tests). */
export function staticPassword(password: string, iterations?: number): PasswordSource {
  const it = checkIterations(iterations, 'iterations');
  return { get: async () => (it === undefined ? { password } : { password, iterations: it }) };
}

/** Builds a PasswordSource from the user's options. Files are read on first use, once. */
export function createPasswordSource(opts: PasswordSourceOptions): PasswordSource {
  const iterations = checkIterations(opts.iterations, 'iterations');
  let map: Promise<Map<string, PasswordEntry> | undefined> | undefined;
  let single: Promise<string | undefined> | undefined;
  const prompted = new Map<string, PasswordEntry>();

  const loadMap = async (): Promise<Map<string, PasswordEntry> | undefined> => {
    let raw: unknown = opts.passwordMap;
    const name = opts.passwordMapFile;
    if (name !== undefined) {
      const text = await readText(name, 'password map file');
      try {
        raw = JSON.parse(text);
      } catch (e) {
        throw invalid(`password map file is not valid JSON: ${(e as Error).message}`, name);
      }
    }
    if (raw === undefined) return undefined;
    if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) {
      throw invalid('password map must be a JSON object keyed by pwd_id', name);
    }
    const m = new Map<string, PasswordEntry>();
    for (const [k, v] of Object.entries(raw as Record<string, unknown>)) m.set(k, mapEntry(v, k, name ?? 'password map'));
    return m;
  };
  const loadSingle = async (): Promise<string | undefined> => {
    if (opts.passwordFile !== undefined) return firstLine(await readText(opts.passwordFile, 'password file'));
    if (opts.passwordEnv !== undefined) {
      const v = (opts.env ?? process.env)[opts.passwordEnv];
      return v === undefined || v === '' ? undefined : v;
    }
    return undefined;
  };

  return {
    async get(file: string): Promise<PasswordEntry> {
      const pwdId = pwdIdFromFileName(file);
      const m = await (map ??= loadMap());
      if (m !== undefined) {
        const e = m.get(pwdId ?? LEGACY_PWD_ID);
        if (e !== undefined) return e;
      }
      const p = await (single ??= loadSingle());
      if (p !== undefined) return iterations === undefined ? { password: p } : { password: p, iterations };
      if (opts.prompt !== undefined) {
        // Asked once per pwd_id: the files of a directory that share a password ask once.
        const key = pwdId ?? LEGACY_PWD_ID;
        const known = prompted.get(key);
        if (known !== undefined) return known;
        const r = await opts.prompt(file, pwdId === undefined ? {} : { pwdId });
        const entry = typeof r === 'string' ? (iterations === undefined ? { password: r } : { password: r, iterations }) : r !== undefined ? mapEntry(r, key, 'prompt') : undefined;
        if (entry !== undefined) {
          prompted.set(key, entry);
          return entry;
        }
      }
      const why: string[] = [];
      if (m !== undefined) why.push(`the password map has no "${pwdId ?? LEGACY_PWD_ID}" entry`);
      if (opts.passwordEnv !== undefined && opts.passwordFile === undefined) why.push(`$${opts.passwordEnv} is not set`);
      throw missingPassword(file, why.join('; '));
    },
  };
}

/** The MISSING_PASSWORD error for an encrypted file. */
export function missingPassword(file: string, why = ''): AuditLogError {
  const pwdId = pwdIdFromFileName(file);
  return new AuditLogError(
    'MISSING_PASSWORD',
    `the file is encrypted and no password was given${pwdId ? ` for pwd_id ${pwdId}` : ''}${why ? ` (${why})` : ''}`,
    {
      stage: 'decrypt',
      file,
      recoverable: false,
      suggestion: 'give a password file, an environment variable holding the password, or a password map keyed by pwd_id',
    },
  );
}
