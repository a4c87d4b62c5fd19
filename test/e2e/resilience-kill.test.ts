// Resilience (issue #7): the relay and the agent run as real processes (their CLIs) and each is SIGKILLed
// in the middle of a burst, then started again. The result is the same as without the crash: every pod
// Running, one container group per pod (none created twice), and no group left after scaling to 0.
// The emulator throttles creates to 5/s so the burst is still in flight when the kill lands.
import test from 'ava';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startEmulator, type EmulatorHandle } from '../../cloud/eci-emulator/index.js';
import { useCluster, type ClusterHandle } from '../cluster/fixture.js';
import { eventually } from '../helpers/stack.js';
import { startGatewayProcesses, type GatewayProcesses } from '../agent/resilience/processes.js';
import { createBurstDeployment, groupCounts, allRunningReady } from '../agent/resilience/stack.js';

const nodeName = `eci-vk-${process.pid}-kill`;
let cluster: ClusterHandle;
let emulator: EmulatorHandle;
let gw: GatewayProcesses | undefined;
let dir: string;

test.before(async () => {
  cluster = await useCluster();
  emulator = await startEmulator({ runtime: 'simulated' });
  dir = mkdtempSync(join(tmpdir(), 'ecigw-resilience-kill-'));
  gw = await startGatewayProcesses({
    dir,
    kubeconfigPath: cluster.kubeconfigPath,
    clusterCaFile: cluster.pki.caCertPath,
    eci: { endpoint: emulator.endpoint, accessKeyId: emulator.accessKeyId, accessKeySecret: emulator.accessKeySecret },
    nodeName,
    clusterId: `cluster-${process.pid}-kill`,
  });
});
test.after.always(async () => {
  await gw?.close();
  await emulator?.close();
  await cluster?.kubectl(['delete', 'node', nodeName, '--ignore-not-found']);
  if (dir && !process.env.ECIGW_KEEP) rmSync(dir, { recursive: true, force: true });
});

test('relay and agent each SIGKILLed mid-burst: all pods Running, no duplicate group, no orphan after scale-down', async (t) => {
  const processes = gw as GatewayProcesses;
  await eventually('virtual node Ready', async () => {
    const n = await cluster.kc.makeApiClient((await import('@kubernetes/client-node')).CoreV1Api).readNode({ name: nodeName });
    return n.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True');
  }, 60_000);
  const ns = `kill-${process.pid}`;
  const d = await createBurstDeployment(cluster, nodeName, ns);
  t.teardown(() => d.cleanup());
  emulator.admin.setRateLimits({ CreateContainerGroup: 5 });

  const killMidBurst = async (which: 'relay' | 'agent', replicas: number, before: number) => {
    await d.scale(replicas);
    // Mid-burst: some of the new groups exist, not all.
    await eventually(`a few new groups before killing the ${which}`, () => groupCounts(emulator).all >= before + 4, 60_000);
    const groupsAtKill = groupCounts(emulator).all;
    const pid = processes[which].pid;
    await processes[which].kill('SIGKILL');
    t.log(`${which} (pid ${pid}) SIGKILLed with ${groupsAtKill - before} of ${replicas - before} new groups created`);
    t.true(groupsAtKill < replicas, `the burst was still in flight when the ${which} died`);
    await processes[which].start();
    const pods = await allRunningReady(d, replicas, { what: `${replicas} pods Running after the ${which} restart`, timeoutMs: 120_000, emulator, log: t.log.bind(t) });
    const groups = groupCounts(emulator);
    t.is(groups.all, replicas, `one container group per pod after the ${which} crash`);
    t.is(groups.duplicateNames, 0, 'no group created twice');
    t.is(new Set(pods.map((p) => p.status?.podIP)).size, replicas);
  };

  await killMidBurst('relay', 20, 0);
  await killMidBurst('agent', 40, 20);

  await d.scale(0);
  await eventually('all pods gone', async () => (await d.pods()).length === 0, 120_000);
  t.deepEqual(groupCounts(emulator).ids, [], 'no orphaned container group');
});
