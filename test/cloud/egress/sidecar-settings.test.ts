// The egress sidecar's settings (env from the relay's mapping) and where it listens in its pod.
import test from 'ava';
import { sidecarSettings } from '../../../cloud/egress/cli.js';
import { addressPlan } from '../../../cloud/egress/addresses.js';
import { EGRESS_ENV } from '../../../cloud/egress/env.js';
import { ConfigError } from '../../../common/config.js';

const env = { [EGRESS_ENV.token]: 't', [EGRESS_ENV.relayAddress]: 'relay.example.com:8445', [EGRESS_ENV.caPem]: 'pem', [EGRESS_ENV.namespace]: 'shop', [EGRESS_ENV.upstreamDns]: '100.100.2.136, 100.100.2.138' };

test('settings from env, defaults, and refusals naming the variable', (t) => {
  t.like(sidecarSettings(env), { serverName: 'relay.example.com', clusterDomain: 'cluster.local', upstreamDns: ['100.100.2.136', '100.100.2.138'], podIP: undefined });
  for (const [k, v] of [[EGRESS_ENV.token, ''], [EGRESS_ENV.relayAddress, 'relay'], [EGRESS_ENV.upstreamDns, 'dns.example.com']]) {
    const e = t.throws(() => sidecarSettings({ ...env, [k]: v }));
    t.true(e instanceof ConfigError && e.field === k, `${k}=${v}: ${e?.message}`);
  }
});

test('address plan: own loopback on ECI; per-group blocks where groups share one (the emulator)', (t) => {
  const eci = addressPlan('10.0.3.7');
  t.is(eci.dnsHost, '127.0.0.1');
  t.false(eci.sharedLoopback);
  t.deepEqual([0, 1, 255].map((n) => eci.serviceAddress(n)), ['127.77.0.1', '127.77.0.2', '127.77.1.0']);
  const a = addressPlan('127.10.0.5');
  const b = addressPlan('127.10.1.5');
  t.is(a.dnsHost, '127.10.0.5');
  t.true(a.sharedLoopback);
  t.not(a.serviceAddress(0), b.serviceAddress(0), 'two groups never share a Service address');
  t.is(a.serviceAddress(254), undefined, 'a /24 holds 254');
});
