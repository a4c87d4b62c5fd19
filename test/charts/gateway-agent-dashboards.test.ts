// charts/gateway-agent's dashboards ConfigMap: off by default; on, it carries every dashboards/*.json as is
// (valid JSON, one key per file) with the Grafana sidecar's label grafana_dashboard: "1", which
// dashboards.labels may replace, and dashboards.annotations.
import test from 'ava';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { V1ConfigMap } from '@kubernetes/client-node';
import { all, chartDir, one, render } from './helm.js';

const CHART = 'gateway-agent';
const files = readdirSync(join(chartDir(CHART), 'dashboards')).filter((f) => f.endsWith('.json'));

test('no dashboards ConfigMap by default', async (t) => {
  const objs = await render(CHART);
  t.deepEqual(all(objs, 'ConfigMap').filter((c) => c.metadata.name.endsWith('-dashboards')), []);
});

test('dashboards.enabled: one ConfigMap for the Grafana sidecar with every dashboard file', async (t) => {
  const cm = one<V1ConfigMap>(await render(CHART, [{ dashboards: { enabled: true, annotations: { grafana_folder: 'ECI' } } }]), 'ConfigMap', '-dashboards');
  t.is(cm.metadata?.labels?.grafana_dashboard, '1');
  t.is(cm.metadata?.annotations?.grafana_folder, 'ECI');
  t.deepEqual(Object.keys(cm.data ?? {}).sort(), files.sort());
  for (const f of files) t.deepEqual(JSON.parse(cm.data?.[f] ?? ''), JSON.parse(readFileSync(join(chartDir(CHART), 'dashboards', f), 'utf8')), f);
});

test('dashboards.labels may replace the sidecar label', async (t) => {
  const cm = one<V1ConfigMap>(await render(CHART, [{ dashboards: { enabled: true, labels: { grafana_dashboard: 'ecigw', team: 'platform' } } }]), 'ConfigMap', '-dashboards');
  t.like(cm.metadata?.labels, { grafana_dashboard: 'ecigw', team: 'platform' });
});
