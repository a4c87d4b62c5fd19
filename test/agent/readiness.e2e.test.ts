// /readyz of the agent and the relay reflect real state: with the tunnel cut for real (a TCP forwarder
// between them severs every connection and refuses new ones) the agent's /readyz answers 503 naming the
// tunnel, and 200 again once the tunnel is back. The relay here is dedicated to this agent
// (`readiness.minAgents: 1`), so its /readyz follows the tunnel too: 503 naming the missing agent while cut,
// 200 once the agent's status watch is back (a shared relay, minAgents 0 by default, stays ready:
// test/cloud/relay/readiness.test.ts). Both are served by the processes' real ops server over HTTP.
import test from 'ava';
import { startResilienceStack, type ResilienceStack } from './resilience/stack.js';
import { eventually } from '../helpers/wait.js';
import { startOpsServer, type OpsServer } from '../../common/ops-server.js';
import { newRegistry } from '../../common/metrics.js';

let stack: ResilienceStack;
let agentOps: OpsServer;
let relayOps: OpsServer;

test.before(async () => {
  stack = await startResilienceStack({ relayReadiness: { minAgents: 1 } });
  agentOps = await startOpsServer({ host: '127.0.0.1', port: 0, registry: newRegistry(), ready: () => stack.agent.readiness() });
  relayOps = await startOpsServer({ host: '127.0.0.1', port: 0, registry: newRegistry(), ready: () => stack.relay.readiness() });
});
test.after.always(async () => {
  await agentOps?.close();
  await relayOps?.close();
  await stack?.close();
});

const readyz = async (ops: OpsServer) => {
  const r = await fetch(`http://127.0.0.1:${ops.port}/readyz`);
  return { status: r.status, body: await r.text() };
};

test.serial('agent and relay /readyz: 503 naming the tunnel (agent) and the missing agent (relay) while it is cut, 200 again after', async (t) => {
  const agentBefore = await eventually('agent ready', async () => ((await readyz(agentOps)).status === 200 ? readyz(agentOps) : undefined), 60_000);
  t.regex(agentBefore.body, /\[\+\]informer ok/);
  t.regex(agentBefore.body, /\[\+\]tunnel ok: connected/);
  t.regex(agentBefore.body, /^role: active \(leader election off\)$/m);
  const relayBefore = await eventually('relay sees the agent', async () => {
    const r = await readyz(relayOps);
    return /agents: 1 status watch/.test(r.body) ? r : undefined;
  }, 30_000);
  t.is(relayBefore.status, 200, relayBefore.body);
  t.regex(relayBefore.body, /\[\+\]agents ok: 1 of at least 1 agent/);

  stack.forwarder.setRefusing(true);
  stack.forwarder.sever();
  const down = await eventually('agent unready', async () => {
    const r = await readyz(agentOps);
    return r.status === 503 ? r : undefined;
  }, 30_000);
  t.regex(down.body, /\[-\]tunnel failed: (connecting|disconnected)/);
  t.regex(down.body, /\[\+\]informer ok/, 'only the tunnel fails');
  t.regex(down.body, /readyz check failed/);
  const relayDown = await eventually('relay sees the agent gone', async () => {
    const r = await readyz(relayOps);
    return /agents: 0 status watch/.test(r.body) ? r : undefined;
  }, 30_000);
  t.is(relayDown.status, 503, relayDown.body);
  t.regex(relayDown.body, /\[-\]agents failed: 0 of at least 1 agent/);
  t.regex(relayDown.body, /\[\+\]draining ok/, 'only the agents check fails');
  t.log(down.body);

  stack.forwarder.setRefusing(false);
  const up = await eventually('agent ready again', async () => {
    const r = await readyz(agentOps);
    return r.status === 200 ? r : undefined;
  }, 60_000);
  t.regex(up.body, /\[\+\]tunnel ok: connected/);
  const relayUp = await eventually('relay ready again', async () => {
    const r = await readyz(relayOps);
    return r.status === 200 ? r : undefined;
  }, 30_000);
  t.regex(relayUp.body, /agents: 1 status watch/);
});

test.serial('relay /readyz: 503 once it drains', async (t) => {
  t.timeout(60_000);
  const old = stack.relay;
  const ops = await startOpsServer({ host: '127.0.0.1', port: 0, registry: newRegistry(), ready: () => old.readiness() });
  t.teardown(() => ops.close());
  t.is((await readyz(ops)).status, 200);
  const t0 = Date.now();
  await stack.restartRelay(); // closes the old relay (graceful shutdown), then starts another on its port
  t.log(`restart took ${Date.now() - t0} ms`);
  const r = await readyz(ops);
  t.is(r.status, 503, r.body);
  t.regex(r.body, /\[-\]draining failed: shutting down/);
});
