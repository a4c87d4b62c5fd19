// Layered configuration for the CLIs: defaults < config file (YAML or JSON) < environment < flags.
// Each field is declared once (path, type, env name, flag, default, check); errors name the field, the
// source that set it and how to fix it. Pure apart from reading the config file.
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { load as loadYaml } from 'js-yaml';

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

export class ConfigError extends Error {
  constructor(
    readonly field: string,
    problem: string,
  ) {
    super(`${field}: ${problem}`);
    this.name = 'ConfigError';
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

/** Returns null when --help was asked for. */
export function loadConfig(fields: Field[], o: LoadOptions): { values: ConfigValues; configFile?: string } | null {
  const options: Record<string, { type: 'string' | 'boolean' }> = { config: { type: 'string' }, help: { type: 'boolean' } };
  for (const f of fields) if (f.flag) options[f.flag] = { type: f.type === 'boolean' ? 'boolean' : 'string' };
  let flags: Record<string, unknown>;
  try {
    flags = parseArgs({ args: o.argv, options, strict: true, allowPositionals: false }).values;
  } catch (e) {
    throw new ConfigError('flags', `${(e as Error).message} (see --help)`);
  }
  if (flags.help) return null;
  const configFile = (flags.config as string | undefined) ?? o.env[o.configEnv];
  let file: unknown = {};
  if (configFile) {
    let text: string;
    try {
      text = readFileSync(configFile, 'utf8');
    } catch (e) {
      throw new ConfigError('config', `cannot read ${configFile}: ${(e as Error).message}`);
    }
    try {
      file = loadYaml(text) ?? {};
    } catch (e) {
      throw new ConfigError('config', `${configFile} is not valid YAML/JSON: ${(e as Error).message.split('\n')[0]}`);
    }
    if (typeof file !== 'object' || Array.isArray(file)) throw new ConfigError('config', `${configFile} must hold a mapping at the top level`);
  }
  const values: ConfigValues = {};
  for (const f of fields) {
    let v: unknown = f.default;
    const fromFile = getPath(file, f.path);
    if (fromFile !== undefined) v = coerce(f, fromFile, configFile ?? 'file');
    if (f.env && o.env[f.env] !== undefined && o.env[f.env] !== '') v = coerce(f, o.env[f.env], `env ${f.env}`);
    if (f.flag && flags[f.flag] !== undefined) v = coerce(f, flags[f.flag], `--${f.flag}`);
    if (v === undefined || v === '') {
      if (f.required) {
        const how = [f.flag && `--${f.flag}`, f.env && `env ${f.env}`, `"${f.path}" in the config file`].filter(Boolean).join(', ');
        throw new ConfigError(f.path, `is required; set it with ${how}`);
      }
    } else if (f.check) {
      const problem = f.check(v);
      if (problem) throw new ConfigError(f.path, problem);
    }
    values[f.path] = v;
  }
  return { values, configFile };
}

export function helpText(usage: string, fields: Field[], configEnv: string): string {
  const rows = fields.map((f) => {
    const flag = f.flag ? `--${f.flag}${f.type === 'boolean' ? '' : ' <v>'}` : '';
    const extra = [f.env && `env ${f.env}`, `file: ${f.path}`, f.default !== undefined && `default ${JSON.stringify(f.default)}`, f.required && 'required']
      .filter(Boolean)
      .join('; ');
    return `  ${flag.padEnd(34)} ${f.describe} (${extra})`;
  });
  return `${usage}\n\nPrecedence: flags > environment > config file > defaults.\n\nOptions:\n  --config <file>                    YAML or JSON config file (env ${configEnv})\n  --help                             this text\n${rows.join('\n')}\n`;
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
