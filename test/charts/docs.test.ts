// The charts' READMEs are generated from values.yaml by helm-docs (scripts/chart-docs.ts): each README is
// exactly what the generator renders now (so a changed value or comment without `npm run docs:charts` fails
// here), every value has a description, and every key the schema knows is in the table.
import test from 'ava';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CHARTS, CHARTS_DIR, readmePath, renderChartReadme } from '../../scripts/chart-docs.js';

/** The rows of the generated values table: key and description. */
function valueRows(readme: string): { key: string; description: string }[] {
  const table = readme.split('## Values')[1] ?? '';
  return table
    .split('\n')
    .filter((l) => l.startsWith('| ') && !l.startsWith('| Key') && !l.startsWith('|-'))
    .map((l) => {
      const cells = l.split(' | ');
      return { key: cells[0].slice(2).trim(), description: cells[cells.length - 1].replace(/\s*\|$/, '').trim() };
    });
}

for (const chart of CHARTS) {
  test(`${chart}: README.md is what helm-docs renders from values.yaml now (npm run docs:charts)`, async (t) => {
    t.is(readFileSync(readmePath(chart), 'utf8'), await renderChartReadme(chart), `charts/${chart}/README.md is out of date: run npm run docs:charts`);
  });

  test(`${chart}: every value has a description, and every schema key is documented`, async (t) => {
    const rows = valueRows(await renderChartReadme(chart));
    t.true(rows.length > 40);
    t.deepEqual(rows.filter((r) => r.description === '').map((r) => r.key), [], 'values without a `# --` comment');
    const schema = JSON.parse(readFileSync(join(CHARTS_DIR, chart, 'values.schema.json'), 'utf8')) as { properties: Record<string, unknown> };
    const documented = new Set(rows.map((r) => r.key.split('.')[0]));
    const missing = Object.keys(schema.properties).filter((k) => k !== 'enabled' && k !== 'global' && !documented.has(k));
    t.deepEqual(missing, [], 'schema keys with no row in the README');
  });
}

test('a changed values.yaml comment changes the rendered README (the sync check can fail)', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'ecigw-chart-docs-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  cpSync(join(CHARTS_DIR, 'gateway-relay'), join(dir, 'gateway-relay'), { recursive: true });
  const values = join(dir, 'gateway-relay', 'values.yaml');
  writeFileSync(values, readFileSync(values, 'utf8').replace('# -- gRPC (TLS) port of the container and the Service.', '# -- The port agents dial.'));
  const changed = await renderChartReadme('gateway-relay', dir);
  t.not(changed, readFileSync(readmePath('gateway-relay'), 'utf8'));
  t.regex(changed, /\| port \| int \| `8443` \| The port agents dial\. \|/);
});
