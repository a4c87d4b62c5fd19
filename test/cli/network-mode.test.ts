// The agent's networking mode from its configuration: routed by default; tunnel needs an address that
// EndpointSlices may hold (the API server refuses loopback and link-local ones), and the port range and
// connection cap are checked with errors that name the field.
import test from 'ava';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AGENT_FIELDS, networkFrom, validateAgentConfig } from '../../agent/cli.js';
import { ConfigError, loadConfig } from '../../common/config.js';

const dir = mkdtempSync(join(tmpdir(), 'ecigw-net-'));
test.after.always(() => rmSync(dir, { recursive: true, force: true }));
const pem = join(dir, 'x.pem');
writeFileSync(pem, 'x');
const base = ['--cluster-id', 'c1', '--relay-address', 'r:1', '--relay-ca-file', pem, '--relay-token-file', pem, '--kubelet-client-ca-file', pem];
const load = (argv: string[], env: Record<string, string> = {}) => {
  const loaded = loadConfig(AGENT_FIELDS, { argv: [...base, ...argv], env, configEnv: 'ECIGW_AGENT_CONFIG' });
  if (!loaded) throw new Error('no config');
  validateAgentConfig(loaded.values);
  return networkFrom(loaded.values);
};

test('routed by default', (t) => {
  t.deepEqual(load([]), { mode: 'routed' });
});

test('tunnel: the pod IP is advertised unless an address is given; port range and cap parsed', (t) => {
  t.deepEqual(load(['--network-mode', 'tunnel'], { POD_IP: '10.1.2.3' }), { mode: 'tunnel', advertiseAddress: '10.1.2.3', host: '0.0.0.0', portRange: { first: 20000, last: 29999 }, maxConnections: 1024 });
  t.like(load(['--network-mode', 'tunnel', '--network-advertise-address', '2001:db8::5', '--network-port-range', 'any', '--network-max-connections', '10'], { POD_IP: '10.1.2.3' }), { advertiseAddress: '2001:db8::5', portRange: undefined, maxConnections: 10 });
  t.like(load([], { ECIGW_NETWORK_MODE: 'tunnel', POD_IP: '10.1.2.3', ECIGW_NETWORK_PORT_RANGE: '30000-30010' }), { portRange: { first: 30000, last: 30010 } });
});

test('bad settings fail naming the field', (t) => {
  const cases: [string[], Record<string, string>, string, RegExp][] = [
    [['--network-mode', 'tunnel'], {}, 'node.internalIP', /127\.0\.0\.1 is loopback/],
    [['--network-mode', 'tunnel', '--network-advertise-address', '169.254.1.1'], {}, 'network.advertiseAddress', /link-local/],
    [['--network-mode', 'tunnel', '--network-advertise-address', 'fe80::1'], {}, 'network.advertiseAddress', /link-local/],
    [['--network-mode', 'tunnel', '--network-advertise-address', 'agent.local'], {}, 'network.advertiseAddress', /not an IP address/],
    [['--network-mode', 'bridged'], {}, 'network.mode', /routed, tunnel/],
    [['--network-port-range', '30010-30000'], {}, 'network.portRange', /first-last/],
    [['--network-port-range', '0-10'], {}, 'network.portRange', /first-last/],
    [['--network-max-connections', '0'], {}, 'network.maxConnections', /1 to 100000/],
  ];
  for (const [argv, env, field, re] of cases) {
    const e = t.throws(() => load(argv, env), undefined, argv.join(' '));
    t.true(e instanceof ConfigError, argv.join(' '));
    t.regex(`${(e as ConfigError).field}: ${e?.message}`, new RegExp(`^${field.replace('.', '\\.')}: .*${re.source}`), argv.join(' '));
  }
});
