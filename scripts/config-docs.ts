// Renders the CLI configuration reference (from AGENT_FIELDS and RELAY_FIELDS) into README.md between
// the `<!-- config:NAME -->` markers. `npm run docs:config` rewrites; test/readme.test.ts checks it is current.
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { Field } from '../common/config.js';
import { AGENT_FIELDS } from '../agent/cli.js';
import { RELAY_FIELDS } from '../cloud/relay/cli.js';

export const README = fileURLToPath(new URL('../README.md', import.meta.url));

function table(fields: Field[]): string {
  const cell = (s: string) => s.replace(/\|/g, '\\|');
  const def = (f: Field) => {
    if (f.required) return 'required';
    if (f.default === undefined) return '';
    if (f.path.endsWith('agentId') || f.path.endsWith('identity')) return 'hostname';
    return `\`${JSON.stringify(f.default)}\``;
  };
  const rows = fields.map((f) => `| \`${f.path}\` | ${f.flag ? `\`--${f.flag}\`` : ''} | ${f.env ? `\`${f.env}\`` : ''} | ${cell(def(f))} | ${cell(f.describe)} |`);
  return ['| file key | flag | env | default | meaning |', '|---|---|---|---|---|', ...rows].join('\n');
}

export function render(readme: string): string {
  const put = (text: string, name: string, body: string) =>
    text.replace(new RegExp(`(<!-- config:${name} -->)[\\s\\S]*?(<!-- /config:${name} -->)`), `$1\n${body}\n$2`);
  return put(put(readme, 'agent', table(AGENT_FIELDS)), 'relay', table(RELAY_FIELDS));
}

if (process.argv[1] && import.meta.url.endsWith(process.argv[1].split('/').pop() ?? '')) {
  writeFileSync(README, render(readFileSync(README, 'utf8')));
}
