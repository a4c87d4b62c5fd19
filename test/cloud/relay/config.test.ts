// Relay config validation: a good config parses with defaults; each bad field is named; configurations
// that make tenants, clusters or identities indistinguishable are refused; limits and their derived defaults.
import test from 'ava';
import { ConfigError, DEFAULT_LIMITS, parseRelayConfig, relayConfigFromText } from '../../../cloud/relay/config.js';
import { interactiveCap } from '../../../cloud/relay/limits.js';

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

test('quotas: vCPU, memory and per-cluster caps beside maxPods (100 when unset)', (t) => {
  const c = good();
  (c.tenants.t1 as Record<string, unknown>).quotas = { maxVcpu: 16, maxMemoryGiB: 32.5, clusters: { c1: { maxPods: 4, maxVcpu: 2 } } };
  t.deepEqual(parseRelayConfig(c).tenants.t1.quotas, { maxPods: 100, maxVcpu: 16, maxMemoryGiB: 32.5, clusters: { c1: { maxPods: 4, maxVcpu: 2 } } });
});

test('each bad field is named in the error', (t) => {
  const cases: [(c: ReturnType<typeof good>) => void, RegExp][] = [
    [(c) => ((c.tenants.t1 as Record<string, unknown>).region = ''), /tenants\.t1\.region: must be a non-empty string/],
    [(c) => (c.tenants.t1.clusterIds = []), /tenants\.t1\.clusterIds: must be a non-empty array/],
    [(c) => (c.tenants.t1.quotas.maxPods = -1), /tenants\.t1\.quotas\.maxPods: must be a positive number/],
    [(c) => (c.tenants.t1.quotas.maxPods = 2.5), /tenants\.t1\.quotas\.maxPods: must be a whole number of pods/],
    [(c) => ((c.tenants.t1.quotas as Record<string, unknown>).maxGpu = 1), /tenants\.t1\.quotas\.maxGpu: unknown quota \(known: maxPods, maxVcpu, maxMemoryGiB, maxSpendPerHour, clusters\)/],
    [(c) => ((c.tenants.t1.quotas as Record<string, unknown>).maxVcpu = 0), /tenants\.t1\.quotas\.maxVcpu: must be a positive number/],
    [(c) => ((c.tenants.t1.quotas as Record<string, unknown>).clusters = { c9: { maxPods: 1 } }), /tenants\.t1\.quotas\.clusters\.c9: not one of this tenant's clusterIds \(c1\)/],
    [(c) => ((c.tenants.t1.quotas as Record<string, unknown>).clusters = { c1: { clusters: {} } }), /tenants\.t1\.quotas\.clusters\.c1\.clusters: unknown quota/],
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
    t.regex(err.message, re);
  }
});

type Raw = Omit<ReturnType<typeof good>, 'certificateIdentities'> & { certificateIdentities: Record<string, unknown> };
const twoClusters = (): Raw => {
  const c: Raw = good();
  c.tenants.t1.clusterIds = ['dc1', 'dc2'];
  c.certificateIdentities = { 'agent-dc1': { tenant: 't1', clusterIds: ['dc1'] } };
  return c;
};

test('an identity maps to a tenant and the cluster ids it may act for; the short form means the tenant\'s only cluster', (t) => {
  t.deepEqual(parseRelayConfig(good()).certificateIdentities, { 'agent-1': { tenantId: 't1', clusterIds: ['c1'] } });
  t.deepEqual(parseRelayConfig(twoClusters()).certificateIdentities, { 'agent-dc1': { tenantId: 't1', clusterIds: ['dc1'] } });
});

test('ambiguous or colliding configurations are refused naming the fields and the fix', (t) => {
  const cases: [(c: ReturnType<typeof twoClusters>) => void, RegExp][] = [
    [(c) => (c.certificateIdentities['agent-x'] = 't1'), /certificateIdentities\.agent-x: the short form "t1" is allowed only for a tenant with exactly one cluster id; tenant t1 lists \["dc1","dc2"\]: write \{ tenant: t1, clusterIds: \[/],
    [(c) => (c.certificateIdentities['agent-x'] = { tenant: 't1', clusterIds: ['dc3'] }), /certificateIdentities\.agent-x\.clusterIds\[0\]: "dc3" is not a cluster of tenant t1 \(tenants\.t1\.clusterIds: \["dc1","dc2"\]\)/],
    [(c) => (c.certificateIdentities['agent-x'] = { tenant: 't1', clusterIds: [] }), /certificateIdentities\.agent-x\.clusterIds: must be a non-empty array/],
    [(c) => (c.certificateIdentities['agent-x'] = { tenant: 't1', clusterIds: ['dc1', 'dc1'] }), /certificateIdentities\.agent-x\.clusterIds\[1\]: duplicate cluster id "dc1"/],
    [(c) => (c.certificateIdentities['agent-x'] = { tenant: 'nope', clusterIds: ['dc1'] }), /certificateIdentities\.agent-x\.tenant: unknown tenant "nope"/],
    [(c) => (c.certificateIdentities['agent-x'] = { tenant: 't1', clusterIds: ['dc1'], admin: true }), /certificateIdentities\.agent-x\.admin: unknown field/],
    [(c) => (c.tenants.t1.clusterIds = ['b/c']), /tenants\.t1\.clusterIds\[0\]: cluster id "b\/c" is not a DNS label/],
    [(c) => (c.tenants.t1.clusterIds = ['DC1']), /tenants\.t1\.clusterIds\[0\]: cluster id "DC1" is not a DNS label/],
    [(c) => (c.tenants.t1.clusterIds = ['dc1', 'dc2', 'dc1']), /tenants\.t1\.clusterIds\[2\]: cluster id "dc1" is listed twice/],
    [(c) => ((c.tenants as Record<string, unknown>)['a/b'] = { ...c.tenants.t1 }), /tenants\.a\/b: tenant id "a\/b" is not a DNS label/],
    [(c) => ((c.tenants.t1.tags as Record<string, string>) = { 'ecigw.io/cluster-id': 'other' }), /tenants\.t1\.tags\.ecigw\.io\/cluster-id: tag keys starting with ecigw\.io\/ are the gateway's own/],
    // Ids and tags become ECI tag values: ECI refuses values starting with "aliyun" (every call would fail).
    [(c) => (c.tenants.t1.clusterIds = ['aliyun-dc']), /tenants\.t1\.clusterIds\[0\]: cluster id "aliyun-dc": .*must not start with "aliyun"/],
    [(c) => ((c.tenants as Record<string, unknown>)['aliyun1'] = { ...c.tenants.t1 }), /tenants\.aliyun1: tenant id "aliyun1": .*must not start with "aliyun"/],
    [(c) => ((c.tenants.t1.tags as Record<string, string>) = { team: 'https://x' }), /tenants\.t1\.tags\.team: tag value must not contain "http:\/\/" or "https:\/\/"/],
  ];
  for (const [mutate, re] of cases) {
    const c = twoClusters();
    mutate(c);
    const err = t.throws(() => parseRelayConfig(c), { instanceOf: ConfigError });
    t.regex(err.message, re);
  }
});

test('"__proto__" as a certificate name is an ordinary identity, not the prototype', (t) => {
  const c: Raw = good();
  c.certificateIdentities = JSON.parse('{"__proto__": "t1"}') as Raw['certificateIdentities'];
  const ids = parseRelayConfig(c).certificateIdentities;
  t.deepEqual(Object.keys(ids), ['__proto__']);
  t.is(Object.getPrototypeOf(ids), Object.prototype);
});

test('limits: session caps per kind, reserved streams and connection limits default from each other', (t) => {
  const d = DEFAULT_LIMITS;
  t.like(d, { maxConcurrentStreams: 256, reservedStreams: 64, maxSessionsPerAgent: 192, maxExecSessionsPerAgent: 128, maxLogSessionsPerAgent: 128, maxPortForwardSessionsPerAgent: 128, maxWatchesPerAgent: 4 });
  t.is(interactiveCap(d), 192);
  const l = parseRelayConfig({ ...good(), limits: { maxConcurrentStreams: 16, maxSessionsPerAgent: 30 } }).limits;
  t.like(l, { reservedStreams: 4, maxLogSessionsPerAgent: 20 });
  t.is(interactiveCap(l), 12, 'never more sessions than the streams left after the reserve');
  const bad: [Record<string, unknown>, RegExp][] = [
    [{ maxConcurrentStreams: 8, reservedStreams: 8 }, /limits\.reservedStreams: \(8\) must be less than limits\.maxConcurrentStreams \(8\)/],
    [{ maxSessionsPerAgent: 2.5 }, /limits\.maxSessionsPerAgent: must be a whole number/],
    [{ handshakeTimeoutMs: 0 }, /limits\.handshakeTimeoutMs: must be a positive number/],
  ];
  for (const [limits, re] of bad) t.regex(t.throws(() => parseRelayConfig({ ...good(), limits }), { instanceOf: ConfigError }).message, re);
});

test('relayConfigFromText reads the relay part of a YAML file that also holds process settings', (t) => {
  const c = relayConfigFromText(['port: 8443', 'tenants:', '  t1: { region: cn-hangzhou, credentialsRef: env:X, vSwitchId: v, securityGroupId: s, clusterIds: [c1] }', 'certificateIdentities: { agent-1: t1 }', ''].join('\n'));
  t.deepEqual(c.certificateIdentities, { 'agent-1': { tenantId: 't1', clusterIds: ['c1'] } });
  t.regex(t.throws(() => relayConfigFromText('tenants: [', 'relay.yaml'), { instanceOf: ConfigError }).message, /relay\.yaml/);
});
