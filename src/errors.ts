/**
 * The one error type of the library: a stable code, and where it happened
 * (file, byte offset in the decoded stream, record number).
 *
 *   try { ... } catch (e) { if (e instanceof AuditLogError && e.code === 'UNKNOWN_FORMAT') ... }
 */

/** Closed set of error codes. Branch on these, never on message text. */
export type AuditLogErrorCode =
  | 'UNKNOWN_FORMAT'
  | 'MALFORMED_RECORD'
  | 'TRUNCATED_RECORD'
  | 'TRUNCATED_INPUT'
  | 'UNEXPECTED_DATA'
  | 'SKIPPED_DATA'
  | 'INVALID_UTF8'
  | 'DECRYPT_FAILED'
  | 'MISSING_PASSWORD'
  | 'DECOMPRESS_FAILED'
  | 'IO_ERROR'
  | 'INPUT_CHANGED'
  | 'INVALID_OPTION'
  | 'BOOKMARK_NOT_FOUND'
  | 'STATE_INVALID';

export type Stage = 'read' | 'decrypt' | 'decompress' | 'frame' | 'parse' | 'transform' | 'write';

export interface ErrorContext {
  stage: Stage;
  file?: string;
  /**
   * Byte offset in the decoded stream (after decryption and decompression), for
   * record problems. For input-layer problems (TRUNCATED_INPUT, DECOMPRESS_FAILED,
   * DECRYPT_FAILED) it is the offset in that layer's own input: the encrypted file
   * for AES, the compressed stream for gzip.
   */
  offset?: number;
  /** Byte offset where the problem ends, when it spans a range. */
  end?: number;
  /** Record number (from 0). */
  index?: number;
  /** Whether reading can go on past this problem. */
  recoverable: boolean;
  suggestion?: string;
}

import { problem } from './problems.js';

/** Exit codes of the command-line tool (by error code: src/problems.ts). */
export const EXIT = { OK: 0, DATA_PROBLEMS: 1, USAGE: 2, INPUT_UNUSABLE: 3 } as const;

function where(ctx: ErrorContext): string {
  const parts: string[] = [];
  if (ctx.file !== undefined) parts.push(ctx.file);
  if (ctx.offset !== undefined) parts.push(`byte ${ctx.offset}`);
  if (ctx.index !== undefined) parts.push(`record #${ctx.index}`);
  return parts.length ? parts.join(': ') + ': ' : '';
}

export class AuditLogError extends Error {
  override readonly name = 'AuditLogError';
  readonly code: AuditLogErrorCode;
  readonly ctx: ErrorContext;
  /** The message without the position prefix. */
  readonly detail: string;

  constructor(code: AuditLogErrorCode, detail: string, ctx: ErrorContext, options?: { cause?: unknown }) {
    super(`${where(ctx)}${code}: ${detail}`, options);
    this.code = code;
    this.ctx = ctx;
    this.detail = detail;
  }

  get file(): string | undefined {
    return this.ctx.file;
  }
  get offset(): number | undefined {
    return this.ctx.offset;
  }
  get index(): number | undefined {
    return this.ctx.index;
  }

  /** The exit code the command-line tool uses when this error stops it. */
  get exitCode(): number {
    return problem(this.code).exit;
  }

  /** Plain object for `--json` output. */
  toJSON(): Record<string, unknown> {
    const o: Record<string, unknown> = { code: this.code, message: this.detail };
    for (const k of ['file', 'offset', 'end', 'index'] as const) if (this.ctx[k] !== undefined) o[k] = this.ctx[k];
    return o;
  }
}
