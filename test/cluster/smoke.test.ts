// Smoke test of the shared local cluster: the real scheduler binds a Deployment's pods to a tainted node
// and the real controller manager creates the ReplicaSet; the built kubectl shows them bound.
import test from 'ava';
import { CoreV1Api, AppsV1Api } from '@kubernetes/client-node';
import { useCluster } from './fixture.js';
import { eventually } from '../helpers/wait.js';

test('scheduler binds a tolerating Deployment to a tainted node; kubectl shows the pods', async (t) => {
  const c = await useCluster();
  const core = c.kc.makeApiClient(CoreV1Api);
  const apps = c.kc.makeApiClient(AppsV1Api);
  const node = `smoke-node-${process.pid}`;
  const ns = `smoke-${process.pid}`;
  await core.createNamespace({ body: { metadata: { name: ns } } });
  t.teardown(async () => {
    await core.deleteNamespace({ name: ns }).catch(() => undefined);
    await core.deleteNode({ name: node }).catch(() => undefined);
  });
  await core.createNode({
    body: {
      metadata: { name: node, labels: { 'smoke-test': 'yes' } },
      spec: { taints: [{ key: 'smoke-test/dedicated', value: 'yes', effect: 'NoSchedule' }] },
    },
  });
  const now = new Date();
  // The node lifecycle controller touches new nodes too: read-modify-write until no conflict.
  for (let attempt = 0; ; attempt++) {
    const current = await core.readNode({ name: node });
    current.status = {
      capacity: { cpu: '8', memory: '16Gi', pods: '110' },
      allocatable: { cpu: '8', memory: '16Gi', pods: '110' },
      conditions: [{ type: 'Ready', status: 'True', reason: 'SmokeTest', message: 'ready', lastHeartbeatTime: now, lastTransitionTime: now }],
      addresses: [{ type: 'InternalIP', address: '127.0.0.1' }],
    };
    try {
      await core.replaceNodeStatus({ name: node, body: current });
      break;
    } catch (e) {
      if (attempt >= 5 || (e as { code?: number }).code !== 409) throw e;
    }
  }
  await apps.createNamespacedDeployment({
    namespace: ns,
    body: {
      metadata: { name: 'web' },
      spec: {
        replicas: 3,
        selector: { matchLabels: { app: 'web' } },
        template: {
          metadata: { labels: { app: 'web' } },
          spec: {
            nodeSelector: { 'smoke-test': 'yes' },
            tolerations: [{ key: 'smoke-test/dedicated', operator: 'Equal', value: 'yes', effect: 'NoSchedule' }],
            containers: [{ name: 'web', image: 'nginx' }],
          },
        },
      },
    },
  });

  const pods = await eventually('the three replicas bound to the tainted node', async () => {
    const list = await core.listNamespacedPod({ namespace: ns });
    const bound = list.items.filter((p) => p.spec?.nodeName === node).map((p) => p.metadata?.name ?? '');
    return bound.length === 3 && bound;
  }, 60_000, 250);
  t.is(pods.length, 3, 'all three replicas bound to the tainted node');
  const rs = await apps.listNamespacedReplicaSet({ namespace: ns });
  t.is(rs.items.length, 1, 'the controller manager created one ReplicaSet');
  t.is(rs.items[0].metadata?.ownerReferences?.[0]?.name, 'web');

  const out = await c.kubectl(['get', 'pods', '-n', ns, '-o', 'wide', '--no-headers']);
  t.is(out.code, 0, out.stderr);
  const lines = out.stdout.trim().split('\n');
  t.is(lines.length, 3);
  for (const line of lines) t.true(line.split(/\s+/).includes(node), `kubectl shows the node: ${line}`);
});
