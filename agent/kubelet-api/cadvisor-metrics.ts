// Renders the burst pods' usage (the stats Summary the relay builds from ECI's metric actions) as the
// kubelet's /metrics/cadvisor: cAdvisor's metric names, types and the labels kube-prometheus' recording
// rules select on (namespace, pod, container, and image, filled from the pod spec so `image!=""` matches).
// cAdvisor's `id` (cgroup path) and `name` (runtime container name) have no ECI equivalent and are left out.
import type { V1Pod } from '@kubernetes/client-node';
import type { Summary } from './backend.js';
import { TextExposition, type Family } from './prom-text.js';

const FAMILIES: Family[] = [
  ['container_cpu_usage_seconds_total', 'counter', 'Cumulative cpu time consumed in seconds.'],
  ['container_memory_working_set_bytes', 'gauge', 'Current working set in bytes.'],
  ['container_memory_usage_bytes', 'gauge', 'Current memory usage in bytes, including all memory regardless of when it was accessed'],
  ['container_memory_rss', 'gauge', 'Size of RSS in bytes.'],
  ['container_network_receive_bytes_total', 'counter', 'Cumulative count of bytes received (all of the pod\'s interfaces)'],
  ['container_network_transmit_bytes_total', 'counter', 'Cumulative count of bytes transmitted (all of the pod\'s interfaces)'],
  ['container_scrape_error', 'gauge', '1 if there was an error while getting container metrics, 0 otherwise'],
];

function imageOf(pod: V1Pod | undefined, container: string): string {
  const status = pod?.status?.containerStatuses?.find((c) => c.name === container)?.image;
  return status || (pod?.spec?.containers.find((c) => c.name === container)?.image ?? '');
}

/** `s` undefined: the stats could not be fetched (tunnel down); only container_scrape_error 1 is served. */
export function renderCadvisorMetrics(s: Summary | undefined, podOf: (namespace: string, name: string) => V1Pod | undefined): string {
  const x = new TextExposition(FAMILIES);
  for (const p of s?.pods ?? []) {
    const { namespace, name: pod } = p.podRef;
    const spec = podOf(namespace, pod);
    for (const c of p.containers) {
      const l = { container: c.name, image: imageOf(spec, c.name), namespace, pod };
      if (c.cpu?.usageCoreNanoSeconds !== undefined) x.add('container_cpu_usage_seconds_total', l, c.cpu.usageCoreNanoSeconds / 1e9, c.cpu.time);
      if (c.memory?.workingSetBytes !== undefined) x.add('container_memory_working_set_bytes', l, c.memory.workingSetBytes, c.memory.time);
      if (c.memory?.usageBytes !== undefined) x.add('container_memory_usage_bytes', l, c.memory.usageBytes, c.memory.time);
      if (c.memory?.rssBytes !== undefined) x.add('container_memory_rss', l, c.memory.rssBytes, c.memory.time);
    }
    // cAdvisor reports network on the pod's sandbox, without a container label.
    if (p.network?.rxBytes !== undefined) x.add('container_network_receive_bytes_total', { namespace, pod }, p.network.rxBytes, p.network.time);
    if (p.network?.txBytes !== undefined) x.add('container_network_transmit_bytes_total', { namespace, pod }, p.network.txBytes, p.network.time);
  }
  x.add('container_scrape_error', {}, s ? 0 : 1);
  return x.render();
}
