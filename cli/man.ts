/**
 * The man page, generated from the help text: the root help and every
 * command's `--help`, each help section a man section, the text kept as the
 * help lays it out. `npm run man` writes docs/auditlog.1.
 *
 *   const roff = await manPage(ROOT);   // man -l docs/auditlog.1
 */
import { writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Config, Help, type Command } from '@oclif/core';

/** Help with the formatting methods made reachable, at a fixed width. */
class ManHelp extends Help {
  root(): string {
    return `${this.formatRoot()}\n\n${this.formatCommands(this.commands)}`;
  }
  commandText(c: Command.Loadable): string {
    return this.formatCommand(c);
  }
  get commands(): Command.Loadable[] {
    return this.sortedCommands.filter((c) => !c.hidden);
  }
}

/** A help line as roff text: backslashes escaped, no line read as a request. */
function roffLine(l: string): string {
  const s = l.replace(/\\/g, '\\e');
  return /^[.']/.test(s) ? `\\&${s}` : s;
}

/** Help text (`HEADING` lines at column 0, indented bodies) as roff sections. */
function sections(text: string, macro: '.SH' | '.SS', prefix = ''): string[] {
  const out: string[] = [];
  let open = false;
  const close = () => {
    if (open) out.push('.fi');
    open = false;
  };
  for (const l of text.replace(/\s+$/, '').split('\n')) {
    if (/^[A-Z][A-Z ]+$/.test(l)) {
      close();
      out.push(`${macro} "${prefix}${l}"`, '.nf');
      open = true;
    } else {
      if (!open) {
        out.push('.nf');
        open = true;
      }
      out.push(l === '' ? '' : roffLine(l));
    }
  }
  close();
  return out;
}

/** Drop a help section (e.g. VERSION, which names the machine's Node.js). */
function without(text: string, heading: string): string {
  return text.replace(new RegExp(`^${heading}\\n(?:(?: .*)?\\n)*`, 'm'), '');
}

/**
 * The man page of the CLI whose package.json is in `root`.
 * @returns roff (man macros)
 */
export async function manPage(root: string): Promise<string> {
  const config = await Config.load(root);
  const help = new ManHelp(config, { maxWidth: 80, stripAnsi: true });
  const bin = config.bin;
  const lines = [
    `.TH ${bin.toUpperCase()} 1 "" "${bin} ${config.version}" "User Commands"`,
    '.SH NAME',
    `${bin} \\- ${roffLine(config.pjson.description ?? '')}`,
    // The root help's first lines are the description, already the NAME line.
    ...sections(without(help.root(), 'VERSION').replace(/^[^]*?\n(?=[A-Z][A-Z ]+\n)/, ''), '.SH'),
  ];
  for (const c of help.commands) {
    lines.push(`.SH "${bin.toUpperCase()} ${c.id.toUpperCase().replaceAll(':', ' ')}"`);
    lines.push(...sections(help.commandText(c), '.SS', `${c.id} `));
  }
  return lines.join('\n') + '\n';
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
  const page = await manPage(root);
  if (process.argv[2]) writeFileSync(process.argv[2], page);
  else process.stdout.write(page);
}
