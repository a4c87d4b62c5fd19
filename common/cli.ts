// What the three command lines share: `-h`/`--help` and `--version` found before anything is validated,
// node:util parseArgs errors rewritten to name the flag and the fix, readable-file checks, and the one line
// (no stack trace) a configuration error becomes on stderr before the process exits 2.
import { closeSync, fstatSync, openSync } from 'node:fs';
import { distance } from 'fastest-levenshtein';
import { FieldError } from './field-error.js';

/** Exit code of every configuration error (unknown flag, bad value, unreadable file, bad YAML). */
export const CONFIG_ERROR_EXIT = 2;

/** `help` or `version` when the command line asks for it (before the end-of-options `--`), else undefined. */
export function cliRequest(argv: readonly string[]): 'help' | 'version' | undefined {
  for (const a of argv) {
    if (a === '--') return undefined;
    if (a === '-h' || a === '--help') return 'help';
    if (a === '--version') return 'version';
  }
  return undefined;
}

/** The known name `name` is likely a typo or a cut-short form of (a few edits apart, or its only extension). */
function closest(name: string, known: readonly string[]): string | undefined {
  const longer = known.filter((k) => k.startsWith(name));
  if (name.length >= 3 && longer.length === 1) return longer[0];
  let best: string | undefined;
  let bestD = Math.max(1, Math.floor(name.length / 4)) + 1;
  for (const k of known) {
    const d = distance(name, k);
    if (d < bestD) [best, bestD] = [k, d];
  }
  return best;
}

/**
 * A node:util parseArgs error as a FieldError naming the flag and the fix. `options` are the declared
 * options (name → type), so `--no-<string option>` and typos get their own advice.
 */
export function flagError(e: unknown, options: Readonly<Record<string, { type: 'string' | 'boolean' }>>): FieldError {
  const err = e as { code?: string; message?: string };
  const msg = String(err.message ?? e);
  const flag = /'(-{1,2}[^' =]+)/.exec(msg)?.[1] ?? '';
  const name = flag.replace(/^-+/, '');
  const names = Object.keys(options);
  switch (err.code) {
    case 'ERR_PARSE_ARGS_UNKNOWN_OPTION': {
      const positive = name.startsWith('no-') ? name.slice(3) : undefined;
      if (positive && options[positive]?.type === 'string') return new FieldError(flag, `--${positive} takes a value and cannot be negated: give --${positive} <value> or leave it out`);
      const near = closest(name, names);
      return new FieldError(flag, `unknown option${near ? `; did you mean --${near}?` : ''} (see --help for the options)`);
    }
    case 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE':
      if (options[name]?.type === 'boolean') return new FieldError(flag, `is a switch and takes no value: write --${name} or --no-${name}`);
      return new FieldError(flag, `needs a value: write ${flag} <value> (or ${flag}=<value>)`);
    case 'ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL': {
      const arg = /'([^']*)'/.exec(msg)?.[1] ?? '';
      return new FieldError(`"${arg}"`, 'unexpected argument: every setting is a --flag <value> (see --help)');
    }
    default:
      return new FieldError('flags', `${msg} (see --help)`);
  }
}

/** Throws a FieldError unless `path` is a regular file this process can open for reading. */
export function checkReadableFile(field: string, path: string, fix: string): void {
  let fd: number | undefined;
  try {
    fd = openSync(path, 'r');
    if (!fstatSync(fd).isFile()) throw new FieldError(field, `${path} is not a file; ${fix}`);
  } catch (e) {
    if (e instanceof FieldError) throw e;
    const code = (e as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? 'does not exist' : code === 'EACCES' ? 'is not readable by this user' : `cannot be read (${code ?? String(e)})`;
    throw new FieldError(field, `${path} ${why}; ${fix}`);
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

/** The single stderr line of a configuration error: `<program>: <message>`, whitespace runs folded. */
export function failureLine(program: string, e: unknown): string {
  const message = e instanceof Error ? e.message : String(e);
  return `${program}: ${message.replace(/\s*\n\s*/g, ' ').trim()}\n`;
}
