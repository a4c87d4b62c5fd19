// renderCadvisorMetrics (pure): cAdvisor's families and labels from a stats Summary; the image comes from the
// pod's status (else its spec); no stats (tunnel down) is container_scrape_error 1 and no series; label values
// are escaped, so a hostile pod or container name cannot forge a series.
import test from 'ava';
import type { V1Pod } from '@kubernetes/client-node';
import { renderCadvisorMetrics } from '../../../agent/kubelet-api/cadvisor-metrics.js';
import type { Summary } from '../../../agent/kubelet-api/backend.js';
import { families } from '../../helpers/scrape.js';

const time = '2026-01-02T03:04:05.000Z';
const summary = (pod: string, container: string): Summary => ({
  node: { nodeName: 'n', startTime: time },
  pods: [
    {
      podRef: { namespace: 'ns', name: pod, uid: 'u' },
      startTime: time,
      containers: [{ name: container, startTime: time, cpu: { time, usageCoreNanoSeconds: 1_500_000_000 }, memory: { time, workingSetBytes: 1024, usageBytes: 2048, rssBytes: 512 } }],
      network: { time, rxBytes: 10, txBytes: 20 },
    },
  ],
});
const pod = (image: string, statusImage?: string): V1Pod => ({
  spec: { containers: [{ name: 'main', image }] },
  status: statusImage ? { containerStatuses: [{ name: 'main', image: statusImage, imageID: '', ready: true, restartCount: 0 }] } : {},
});

test('cAdvisor names, types, labels and sample times', (t) => {
  const f = families(renderCadvisorMetrics(summary('web', 'main'), () => pod('nginx:1')));
  const cpu = f.get('container_cpu_usage_seconds_total');
  t.is(cpu?.type, 'COUNTER');
  t.deepEqual(cpu?.metrics, [{ value: '1.5', labels: { container: 'main', image: 'nginx:1', namespace: 'ns', pod: 'web' }, timestamp_ms: String(Date.parse(time)) }]);
  t.is(f.get('container_memory_working_set_bytes')?.metrics[0]?.value, '1024');
  t.is(f.get('container_memory_usage_bytes')?.metrics[0]?.value, '2048');
  t.is(f.get('container_memory_rss')?.type, 'GAUGE');
  t.is(f.get('container_memory_rss')?.metrics[0]?.value, '512');
  t.deepEqual(f.get('container_network_receive_bytes_total')?.metrics[0]?.labels, { namespace: 'ns', pod: 'web' });
  t.is(f.get('container_network_transmit_bytes_total')?.metrics[0]?.value, '20');
  t.is(f.get('container_scrape_error')?.metrics[0]?.value, '0');
});

test('the image of the running container (status) wins over the spec; an unknown pod has an empty image', (t) => {
  t.is(families(renderCadvisorMetrics(summary('web', 'main'), () => pod('nginx', 'docker.io/library/nginx:1.27'))).get('container_cpu_usage_seconds_total')?.metrics[0]?.labels?.image, 'docker.io/library/nginx:1.27');
  t.is(families(renderCadvisorMetrics(summary('web', 'main'), () => undefined)).get('container_cpu_usage_seconds_total')?.metrics[0]?.labels?.image, '');
});

test('no stats: container_scrape_error 1 and no container series', (t) => {
  const f = families(renderCadvisorMetrics(undefined, () => undefined));
  t.is(f.get('container_scrape_error')?.metrics[0]?.value, '1');
  t.deepEqual(f.get('container_cpu_usage_seconds_total')?.metrics, []);
});

test('hostile names are escaped, not new series', (t) => {
  const evil = 'x"} 1\ncontainer_cpu_usage_seconds_total{pod="forged';
  const f = families(renderCadvisorMetrics(summary(evil, 'main\\'), () => undefined));
  const series = f.get('container_cpu_usage_seconds_total')?.metrics ?? [];
  t.is(series.length, 1);
  t.is(series[0].labels?.pod, evil);
  t.is(series[0].labels?.container, 'main\\');
});
