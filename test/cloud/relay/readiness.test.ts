// The relay's /readyz verdict (cloud/relay/readiness.ts) and its `readiness` config section: ready until it
// drains; connected agents gate it only when `readiness.minAgents` asks (a relay dedicated to one datacenter).
import test from 'ava';
import { relayReadiness, type RelayReadinessSource } from '../../../cloud/relay/readiness.js';
import { parseRelayConfig, ConfigError } from '../../../cloud/relay/config.js';
import { renderReadiness } from '../../../common/readiness.js';

const base: RelayReadinessSource = { draining: false, tenants: 1, lastReloads: {}, watches: 0, minAgents: 0 };
const cases: [string, Partial<RelayReadinessSource>, 200 | 503, RegExp][] = [
  ['a shared relay with no agent is ready (agents must be able to reach it)', {}, 200, /agents: 0 status watch/],
  ['draining is not ready', { draining: true, watches: 3 }, 503, /\[-\]draining failed: shutting down/],
  ['minAgents 1 without an agent is not ready, naming the setting', { minAgents: 1 }, 503, /\[-\]agents failed: 0 of at least 1 agent\(s\) connected \(readiness\.minAgents\)/],
  ['minAgents 1 with its agent is ready', { minAgents: 1, watches: 1 }, 200, /\[\+\]agents ok: 1 of at least 1/],
  ['minAgents 2 with one agent is not ready', { minAgents: 2, watches: 1 }, 503, /\[-\]agents failed: 1 of at least 2/],
  ['a failed re-read keeps the previous config and stays ready, saying so', { lastReloads: { config: 'bad yaml' } }, 200, /the last re-read of config failed/],
];
for (const [name, over, status, re] of cases) {
  test(name, (t) => {
    const r = renderReadiness(relayReadiness({ ...base, ...over }));
    t.is(r.status, status, r.body);
    t.regex(r.body, re);
  });
}

const config = (readiness: unknown) =>
  parseRelayConfig({ tenants: { t: { region: 'cn-hangzhou', credentialsRef: 'env:ECI', vSwitchId: 'vsw-1', securityGroupId: 'sg-1', clusterIds: ['c1'] } }, certificateIdentities: {}, limits: {}, readiness });

test('readiness.minAgents defaults to 0 and takes an integer', (t) => {
  t.is(config(undefined).readiness.minAgents, 0);
  t.is(config({ minAgents: 1 }).readiness.minAgents, 1);
});

for (const [bad, field] of [
  [{ minAgents: -1 }, 'readiness.minAgents'],
  [{ minAgents: 1.5 }, 'readiness.minAgents'],
  [{ minAgents: '1' }, 'readiness.minAgents'],
  [{ minAgent: 1 }, 'readiness.minAgent'],
  ['yes', 'readiness'],
] as const) {
  test(`readiness ${JSON.stringify(bad)} is refused naming ${field}`, (t) => {
    const e = t.throws(() => config(bad), { instanceOf: ConfigError });
    t.regex(e.message, new RegExp(`relay config: ${field.replace('.', '\\.')}:`));
  });
}
