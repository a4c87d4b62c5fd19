// The agent's Prometheus metrics against the real cluster: tunnel state, pods by phase, work-queue depth
// and intent latency appear on the registry and follow what happens.
import test from 'ava';
import { CoreV1Api } from '@kubernetes/client-node';
import { Registry } from 'prom-client';
import { MemoryProvider } from '../helpers/memory-provider.js';
import { startStack, eventually } from '../helpers/stack.js';

test('agent metrics: tunnel state, pods by phase, queue depths, dropped events, intent latency', async (t) => {
  const registry = new Registry();
  const stack = await startStack({ provider: new MemoryProvider(), agent: { registry } });
  t.teardown(() => stack.close());
  const core = stack.cluster.kc.makeApiClient(CoreV1Api);
  const ns = `metrics-${process.pid}`;
  await core.createNamespace({ body: { metadata: { name: ns } } });
  t.teardown(() => core.deleteNamespace({ name: ns }).then(() => undefined, () => undefined));
  await core.createNamespacedPod({
    namespace: ns,
    body: {
      metadata: { name: 'm' },
      spec: {
        nodeName: stack.nodeName,
        tolerations: [{ key: 'virtual-kubelet.io/provider', operator: 'Exists' }],
        containers: [{ name: 'c', image: 'nginx' }],
      },
    },
  });
  const text = await eventually('a Running pod in the metrics', async () => {
    const m = await registry.metrics();
    return m.includes('ecigw_agent_pods{phase="Running"} 1') ? m : undefined;
  }, 60_000);
  t.regex(text, /ecigw_agent_tunnel_state\{state="connected"\} 1/);
  t.regex(text, /ecigw_agent_tunnel_state\{state="disconnected"\} 0/);
  t.regex(text, /ecigw_agent_pod_queue_depth \d+/);
  t.regex(text, /ecigw_agent_event_queue_depth \d+/);
  t.regex(text, /ecigw_agent_events_dropped_total 0/);
  t.regex(text, /ecigw_agent_intent_duration_seconds_count\{op="apply",result="ok"\} [1-9]/);
  t.regex(text, /ecigw_agent_intent_duration_seconds_count\{op="reconcile",result="ok"\} [1-9]/);
});
