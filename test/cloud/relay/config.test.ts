// Relay config validation: a good config parses with defaults; each bad field is named.
import test from 'ava';
import { ConfigError, DEFAULT_LIMITS, parseRelayConfig } from '../../../cloud/relay/config.js';

const good = () => ({
  tenants: { t1: { region: 'cn-hangzhou', credentialsRef: 'secret/x', vSwitchId: 'vsw-1', securityGroupId: 'sg-1', tags: { a: 'b' }, quotas: { maxPods: 5 }, clusterIds: ['c1'] } },
  certificateIdentities: { 'agent-1': 't1' },
  tokenFile: '/tmp/tokens.json',
  limits: { maxMessageBytes: 1024 },
});

test('a valid config parses and fills default limits', (t) => {
  const c = parseRelayConfig(good());
  t.is(c.tenants.t1.id, 't1');
  t.is(c.limits.maxMessageBytes, 1024);
  t.is(c.limits.burst, DEFAULT_LIMITS.burst);
  t.is(c.tenants.t1.eciRates, undefined, 'no rates: the relay\'s defaults');
});

test('a tenant\'s ECI rates (its account quota) parse as a number or { perSecond, burst }', (t) => {
  const c = good();
  (c.tenants.t1 as Record<string, unknown>).eciRates = { CreateContainerGroup: 100, DescribeContainerGroups: { perSecond: 200, burst: 50 } };
  t.deepEqual(parseRelayConfig(c).tenants.t1.eciRates, { CreateContainerGroup: { perSecond: 100 }, DescribeContainerGroups: { perSecond: 200, burst: 50 } });
});

test('each bad field is named in the error', (t) => {
  const cases: [(c: ReturnType<typeof good>) => void, RegExp][] = [
    [(c) => ((c.tenants.t1 as Record<string, unknown>).region = ''), /tenants\.t1\.region: must be a non-empty string/],
    [(c) => (c.tenants.t1.clusterIds = []), /tenants\.t1\.clusterIds: must be a non-empty array/],
    [(c) => (c.tenants.t1.quotas.maxPods = -1), /tenants\.t1\.quotas\.maxPods: must be a positive number/],
    [(c) => (c.certificateIdentities['agent-1'] = 'nope'), /certificateIdentities\.agent-1: unknown tenant "nope"/],
    [(c) => ((c.limits as Record<string, unknown>).maxWidgets = 3), /limits\.maxWidgets: unknown limit/],
    [(c) => ((c.limits as Record<string, unknown>).burst = 'many'), /limits\.burst: must be a positive number/],
    [(c) => ((c as Record<string, unknown>).tenants = {}), /tenants: must define at least one tenant/],
    [(c) => ((c.tenants.t1 as Record<string, unknown>).tags = { a: 1 }), /tenants\.t1\.tags\.a: must be a string/],
    [(c) => ((c.tenants.t1 as Record<string, unknown>).eciRates = { CreateWidget: 5 }), /tenants\.t1\.eciRates\.CreateWidget: unknown ECI action/],
    [(c) => ((c.tenants.t1 as Record<string, unknown>).eciRates = { CreateContainerGroup: 0 }), /tenants\.t1\.eciRates\.CreateContainerGroup: must be a positive number/],
    [(c) => ((c.tenants.t1 as Record<string, unknown>).eciRates = { CreateContainerGroup: { perSecond: 10, burst: 0.5 } }), /eciRates\.CreateContainerGroup\.burst: must be at least 1/],
  ];
  for (const [mutate, re] of cases) {
    const c = good();
    mutate(c);
    const err = t.throws(() => parseRelayConfig(c), { instanceOf: ConfigError });
    t.regex(err!.message, re);
  }
});
