// Layered configuration for the CLIs: defaults < config file (YAML or JSON) < environment < flags.
// Each field is declared once (path, type, env name, flag, default, check); errors name the field, the
// source that set it and how to fix it. Boolean flags can be negated (--no-<flag>). Pure apart from
// reading the config file.
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { load as loadYaml } from 'js-yaml';
import { FieldError } from './field-error.js';
import { checkReadableFile, flagError } from './cli.js';

type FieldType = 'string' | 'number' | 'boolean' | 'map' | 'list' | 'json';

export interface Field {
  /** Dotted path in the config file and the result, e.g. `relay.address`. */
  path: string;
  type: FieldType;
  describe: string;
  env?: string;
  flag?: string;
  default?: unknown;
  required?: boolean;
  /** Returns a problem description, or undefined when the value is fine. */
  check?: (v: unknown) => string | undefined;
}

export class ConfigError extends FieldError {
  constructor(field: string, problem: string) {
    super(field, problem);
    this.name = 'ConfigError';
  }
}

/** How a user sets `f`: its flag, its env variable and its key in the config file. */
export function howToSet(f: Field): string {
  const ways = [f.flag && `--${f.flag}`, f.env && `env ${f.env}`, `"${f.path}" in the config file`].filter(Boolean);
  return `${ways.slice(0, -1).join(', ')} or ${ways[ways.length - 1]}`;
}

/** Throws a ConfigError naming `path` and how to set it unless `value` is a readable regular file. */
export function checkFileField(fields: readonly Field[], path: string, value: string): void {
  const f = fields.find((x) => x.path === path);
  try {
    checkReadableFile(path, value, f ? `point ${howToSet(f)} at a readable file` : 'give a readable file');
  } catch (e) {
    const fe = e as FieldError;
    throw new ConfigError(fe.field, fe.problem);
  }
}

export type ConfigValues = Record<string, unknown>;

function getPath(o: unknown, path: string): unknown {
  let cur: unknown = o;
  for (const part of path.split('.')) {
    if (typeof cur !== 'object' || cur === null) return undefined;
    cur = (cur as Record<string, unknown>)[part];
  }
  return cur;
}

function coerce(f: Field, raw: unknown, source: string): unknown {
  const where = `${f.path} (from ${source})`;
  switch (f.type) {
    case 'string':
      if (typeof raw === 'number') return String(raw);
      if (typeof raw !== 'string') throw new ConfigError(where, `must be a string`);
      return raw;
    case 'number': {
      const n = typeof raw === 'number' ? raw : typeof raw === 'string' && raw.trim() !== '' ? Number(raw) : NaN;
      if (!Number.isFinite(n)) throw new ConfigError(where, `must be a number, got ${JSON.stringify(raw)}`);
      return n;
    }
    case 'boolean':
      if (typeof raw === 'boolean') return raw;
      if (raw === 'true' || raw === '1') return true;
      if (raw === 'false' || raw === '0') return false;
      throw new ConfigError(where, `must be true or false, got ${JSON.stringify(raw)}`);
    case 'map': {
      // key=value,key=value in env/flags; an object in the file.
      if (typeof raw === 'string') {
        const out: Record<string, string> = {};
        for (const pair of raw.split(',').filter(Boolean)) {
          const i = pair.indexOf('=');
          if (i <= 0) throw new ConfigError(where, `expected key=value pairs separated by commas, got ${JSON.stringify(pair)}`);
          out[pair.slice(0, i).trim()] = pair.slice(i + 1).trim();
        }
        return out;
      }
      if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw new ConfigError(where, 'must be a map of strings');
      for (const [k, v] of Object.entries(raw)) {
        if (typeof v !== 'string' && typeof v !== 'number') throw new ConfigError(`${where}.${k}`, 'must be a string');
      }
      return Object.fromEntries(Object.entries(raw).map(([k, v]) => [k, String(v)]));
    }
    case 'list':
      if (typeof raw === 'string') return raw.split(',').map((s) => s.trim()).filter(Boolean);
      if (!Array.isArray(raw) || !raw.every((x) => typeof x === 'string')) throw new ConfigError(where, 'must be a list of strings');
      return raw;
    case 'json':
      if (typeof raw === 'string') {
        try {
          return JSON.parse(raw);
        } catch {
          throw new ConfigError(where, 'must be valid JSON');
        }
      }
      return raw;
  }
}

export interface LoadOptions {
  argv: string[];
  env: NodeJS.ProcessEnv;
  /** Env var naming the config file (the --config flag wins). */
  configEnv: string;
}

/** Returns null when --help was asked for (the CLIs answer -h/--help/--version before loading: common/cli.ts). */
export function loadConfig(fields: Field[], o: LoadOptions): { values: ConfigValues; configFile?: string } | null {
  const options: Record<string, { type: 'string' | 'boolean'; short?: string }> = { config: { type: 'string' }, help: { type: 'boolean', short: 'h' }, version: { type: 'boolean' } };
  for (const f of fields) if (f.flag) options[f.flag] = { type: f.type === 'boolean' ? 'boolean' : 'string' };
  let flags: Record<string, unknown>;
  try {
    // allowNegative (Node >= 20.16 / 22.4): --no-<flag> sets a boolean flag to false.
    flags = parseArgs({ args: o.argv, options, strict: true, allowPositionals: false, allowNegative: true }).values;
  } catch (e) {
    const fe = flagError(e, options);
    throw new ConfigError(fe.field, fe.problem);
  }
  if (flags.help) return null;
  const configFile = (flags.config as string | undefined) ?? o.env[o.configEnv];
  let file: unknown = {};
  if (configFile) {
    let text: string;
    try {
      text = readFileSync(configFile, 'utf8');
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      const why = code === 'ENOENT' ? 'does not exist' : code === 'EACCES' ? 'is not readable by this user' : code === 'EISDIR' ? 'is a directory' : `cannot be read (${code ?? (e as Error).message})`;
      throw new ConfigError('config', `${configFile} ${why}; point --config or env ${o.configEnv} at a readable YAML or JSON file`);
    }
    try {
      file = loadYaml(text) ?? {};
    } catch (e) {
      throw new ConfigError('config', `${configFile} is not valid YAML/JSON: ${(e as Error).message.split('\n')[0]}; fix the file at that line`);
    }
    if (typeof file !== 'object' || Array.isArray(file)) throw new ConfigError('config', `${configFile} must hold a mapping (key: value lines) at the top level`);
  }
  const values: ConfigValues = {};
  for (const f of fields) {
    let v: unknown = f.default;
    let source = 'the default';
    const fromFile = getPath(file, f.path);
    if (fromFile !== undefined) v = coerce(f, fromFile, (source = configFile ?? 'file'));
    if (f.env && o.env[f.env] !== undefined && o.env[f.env] !== '') v = coerce(f, o.env[f.env], (source = `env ${f.env}`));
    if (f.flag && flags[f.flag] !== undefined) v = coerce(f, flags[f.flag], (source = `--${f.flag}`));
    if (v === undefined || v === '') {
      if (f.required) throw new ConfigError(f.path, `is required; set it with ${howToSet(f)}`);
    } else if (f.check) {
      const problem = f.check(v);
      if (problem) throw new ConfigError(f.path, `${problem} (set by ${source})`);
    }
    values[f.path] = v;
  }
  return { values, configFile };
}

export function helpText(usage: string, fields: Field[], configEnv: string): string {
  const rows = fields.map((f) => {
    const flag = f.flag ? (f.type === 'boolean' ? `--[no-]${f.flag}` : `--${f.flag} <v>`) : '';
    const extra = [f.env && `env ${f.env}`, `file: ${f.path}`, f.default !== undefined && `default ${JSON.stringify(f.default)}`, f.required && 'required']
      .filter(Boolean)
      .join('; ');
    return `  ${flag.padEnd(34)} ${f.describe} (${extra})`;
  });
  return (
    `${usage}\n\nPrecedence: flags > environment > config file > defaults. A switch --[no-]x is set by --x and cleared by --no-x.\n` +
    `A configuration error is one line on stderr naming the field, and exit code 2.\n\nOptions:\n` +
    `  --config <file>                    YAML or JSON config file (env ${configEnv})\n` +
    `  -h, --help                         this text\n` +
    `  --version                          print the version and exit\n${rows.join('\n')}\n`
  );
}

export const checks = {
  hostPort: (v: unknown) => (/^[^\s/:]+:\d{1,5}$/.test(String(v)) || /^\[[0-9a-f:]+\]:\d{1,5}$/i.test(String(v)) ? undefined : `must be host:port, got ${JSON.stringify(v)}`),
  port: (v: unknown) => (Number.isInteger(v) && (v as number) >= 0 && (v as number) <= 65535 ? undefined : `must be a port number 0-65535, got ${JSON.stringify(v)}`),
  oneOf:
    (...allowed: string[]) =>
    (v: unknown) =>
      allowed.includes(String(v)) ? undefined : `must be one of ${allowed.join(', ')}, got ${JSON.stringify(v)}`,
  dnsLabel: (v: unknown) => (/^[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?$/.test(String(v)) ? undefined : `must be a lowercase DNS name, got ${JSON.stringify(v)}`),
};
