// agentReadiness (pure): an active replica is ready only with its informer synced and its tunnel connected; a
// standby is ready (it waits to take over; an unready standby would stall rolling updates); a replica still
// starting (CSR, Lease, controllers) is not. The role is always in the body.
import test from 'ava';
import { agentReadiness, type AgentReadinessSource } from '../../agent/readiness.js';
import { renderReadiness } from '../../common/readiness.js';

const base: AgentReadinessSource = { role: 'active', tunnel: { state: 'connected' }, podsSynced: true };
const le = { lease: 'ecigw/gateway-agent-n1', holder: 'agent-a' };

const cases: [string, AgentReadinessSource, 200 | 503, RegExp[]][] = [
  ['active, synced, connected', base, 200, [/\[\+\]tunnel ok: connected/, /^role: active \(leader election off\)$/m]],
  ['leader, synced, connected', { ...base, leaderElection: le }, 200, [/^role: leader \(holds the Lease ecigw\/gateway-agent-n1\)$/m]],
  ['tunnel disconnected', { ...base, tunnel: { state: 'disconnected', lastError: 'connect ECONNREFUSED' } }, 503, [/\[-\]tunnel failed: disconnected: connect ECONNREFUSED/, /\[\+\]informer ok/]],
  ['tunnel connecting', { ...base, tunnel: { state: 'connecting' } }, 503, [/\[-\]tunnel failed: connecting/]],
  ['informer not synced', { ...base, podsSynced: false }, 503, [/\[-\]informer failed/]],
  ['standby', { role: 'standby', leaderElection: le, tunnel: { state: 'disconnected' }, podsSynced: false }, 200, [/^role: standby \(the Lease ecigw\/gateway-agent-n1 is held by agent-a/m, /\[\+\]role ok: standby/]],
  ['starting', { role: 'starting', tunnel: { state: 'connecting' }, podsSynced: false }, 503, [/\[-\]started failed/, /^role: starting/m]],
];
for (const [name, src, status, patterns] of cases) {
  test(name, (t) => {
    const r = renderReadiness(agentReadiness(src));
    t.is(r.status, status, r.body);
    for (const p of patterns) t.regex(r.body, p);
  });
}
