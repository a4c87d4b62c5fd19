// Streaming sessions our kubelet API servers counted (ecigw_kubelet_api_sessions_total) for one kind and transport:
// which protocol the API server actually spoke to the node.
import type { KubeletServer } from '../../agent/kubelet-api/server.js';

export async function sessionsCounted(servers: readonly KubeletServer[], kind: string, transport: string): Promise<number> {
  let n = 0;
  for (const server of servers) {
    const metric = await server.registry.getSingleMetric('ecigw_kubelet_api_sessions_total')?.get();
    n += metric?.values.find((v) => v.labels.kind === kind && v.labels.transport === transport)?.value ?? 0;
  }
  return n;
}
