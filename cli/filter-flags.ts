/**
 * The filter flags, defined once for every command that selects records
 * (`show`, `convert`, `info`), and the FilterSpec they make.
 *
 *   static override flags = { ...filterFlags, json: Flags.boolean() };
 *   const spec = filterSpec(flags);   // compileFilter(spec) in src/ checks the values
 */
import { Flags } from './core.js';
import type { FilterSpec } from '../src/filter.js';

// Non-greedy: `--user root audit.log` takes one value, so the file stays a file (repeat the flag for more).
const many = (description: string) => Flags.string({ description, multiple: true, multipleNonGreedy: true, helpGroup: 'FILTER' });

export const filterFlags = {
  user: many('account or login user'),
  host: many('account host'),
  ip: many('client IP'),
  db: many('database'),
  event: many('XML NAME (Query, Command Start), class, class/event or event (query/start = query_start); case-insensitive'),
  'command-class': many('sql_command / COMMAND_CLASS (select, drop_table, ...)'),
  'connection-id': many('connection id (a number)'),
  status: many('ok, error, N or N-M'),
  since: Flags.string({ description: 'from this time, inclusive (YYYY-MM-DD[ hh:mm:ss][Z| UTC|+hh:mm])', helpGroup: 'FILTER' }),
  until: Flags.string({ description: 'up to this time, inclusive; a date alone means the whole day', helpGroup: 'FILTER' }),
  grep: many('regular expression searched in the SQL text'),
  'ignore-case': Flags.boolean({ char: 'i', description: '--grep ignores case', helpGroup: 'FILTER' }),
};

/** The values the filter flags were given. */
export interface FilterFlagValues {
  user?: string[];
  host?: string[];
  ip?: string[];
  db?: string[];
  event?: string[];
  'command-class'?: string[];
  'connection-id'?: string[];
  status?: string[];
  since?: string;
  until?: string;
  grep?: string[];
  'ignore-case'?: boolean;
}

/** The FilterSpec of the filter flags (values are checked when it is compiled). */
export function filterSpec(flags: FilterFlagValues): FilterSpec {
  return {
    user: flags.user,
    host: flags.host,
    ip: flags.ip,
    db: flags.db,
    event: flags.event,
    commandClass: flags['command-class'],
    connectionId: flags['connection-id'],
    status: flags.status,
    since: flags.since,
    until: flags.until,
    grep: flags.grep,
    ignoreCase: flags['ignore-case'] ?? false,
  };
}
