// The CLIs as users run them (bin/*.js): --help documents every option, and a bad configuration from
// flags, env or file exits 2 with a message naming the field.
import test from 'ava';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { AGENT_FIELDS } from '../../agent/cli.js';
import { RELAY_FIELDS } from '../../cloud/relay/cli.js';

const root = fileURLToPath(new URL('../../', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'ecigw-cli-'));
const file = (name: string, content: string) => {
  const p = join(dir, name);
  writeFileSync(p, content);
  return p;
};
const pem = file('x.pem', '-----BEGIN CERTIFICATE-----\n-----END CERTIFICATE-----\n');

function run(bin: string, args: string[], env: Record<string, string> = {}) {
  const r = spawnSync(process.execPath, [join(root, 'bin', bin), ...args], {
    encoding: 'utf8',
    timeout: 30_000,
    env: { PATH: process.env.PATH, HOME: process.env.HOME, LOG_LEVEL: 'silent', ...env },
  });
  return { code: r.status, out: `${r.stdout}${r.stderr}` };
}

test('gateway-agent --help documents every option', (t) => {
  const r = run('gateway-agent.js', ['--help']);
  t.is(r.code, 0);
  for (const f of AGENT_FIELDS) if (f.flag) t.true(r.out.includes(`--${f.flag}`), `--${f.flag} documented`);
});

test('gateway-relay --help documents every option', (t) => {
  const r = run('gateway-relay.js', ['--help']);
  t.is(r.code, 0);
  for (const f of RELAY_FIELDS) if (f.flag) t.true(r.out.includes(`--${f.flag}`), `--${f.flag} documented`);
});

const agentBase = ['--cluster-id', 'c1', '--relay-address', 'relay:8443', '--relay-ca-file', pem, '--relay-token-file', pem];
const agentCases: [string, string[], Record<string, string>, RegExp][] = [
  ['unknown flag', ['--nope'], {}, /Unknown option '--nope'/],
  ['missing cluster id', ['--relay-address', 'r:1'], {}, /clusterId: is required; set it with --cluster-id, env ECIGW_CLUSTER_ID/],
  ['relay address without port', [...agentBase, '--relay-address', 'relay'], {}, /relay.address: must be host:port/],
  ['bad port from env', agentBase, { ECIGW_KUBELET_PORT: '70000' }, /kubelet.port: must be a port number/],
  ['no credential', ['--cluster-id', 'c1', '--relay-address', 'r:1', '--relay-ca-file', pem], {}, /no agent credential/],
  ['cert without key', ['--cluster-id', 'c1', '--relay-address', 'r:1', '--relay-ca-file', pem, '--relay-cert-file', pem], {}, /relay.keyFile: relay.certFile and relay.keyFile go together/],
  ['missing file', ['--cluster-id', 'c1', '--relay-address', 'r:1', '--relay-ca-file', '/nonexistent/ca.pem', '--relay-token-file', pem], {}, /relay.caFile: file \/nonexistent\/ca.pem does not exist/],
  ['bad taints JSON', [...agentBase, '--node-taints', '[{"key":"a","effect":"Sometimes"}]'], {}, /node.taints: item 0 must have a key and effect/],
  ['bad capacity map', [...agentBase, '--node-capacity', 'cpu'], {}, /node.capacity \(from --node-capacity\): expected key=value pairs/],
  ['bad boolean in file', ['--config', file('agent.yaml', 'clusterId: c1\nrelay:\n  address: r:1\n  caFile: /etc/hostname\nleaderElection:\n  enabled: maybe\n')], {}, /leaderElection.enabled \(from .*agent.yaml\): must be true or false/],
  ['unreadable YAML', ['--config', file('bad.yaml', 'clusterId: [unclosed\n')], {}, /config: .*bad.yaml is not valid YAML/],
];
for (const [name, args, env, re] of agentCases) {
  test(`gateway-agent rejects ${name} with exit 2`, (t) => {
    const r = run('gateway-agent.js', args, env);
    t.is(r.code, 2, r.out);
    t.regex(r.out, re);
  });
}

const relayTenants = (ref: string) => file(`relay-${ref.replace(/\W/g, '')}.yaml`, `tenants:\n  acme:\n    region: cn-hangzhou\n    credentialsRef: "${ref}"\n    vSwitchId: vsw-1\n    securityGroupId: sg-1\n    clusterIds: [c1]\n`);
const tlsArgs = ['--tls-cert-file', pem, '--tls-key-file', pem, '--client-ca-file', pem];
const relayCases: [string, string[], Record<string, string>, RegExp][] = [
  ['a missing config file', tlsArgs, {}, /config: a config file with `tenants` is required/],
  ['bad ECI protocol', ['--config', relayTenants('env:ECI'), ...tlsArgs, '--eci-protocol', 'ftp'], { ECI_ACCESS_KEY_ID: 'a', ECI_ACCESS_KEY_SECRET: 'b' }, /eci.protocol: must be one of http, https/],
  ['missing ECI credentials', ['--config', relayTenants('env:ECI'), ...tlsArgs], {}, /tenants.acme.credentialsRef: .*set ECI_ACCESS_KEY_ID and ECI_ACCESS_KEY_SECRET/],
  ['an unknown credentials scheme', ['--config', relayTenants('vault:x'), ...tlsArgs], {}, /tenants.acme.credentialsRef: .*must start with env: or file:/],
  ['a tenant without clusterIds', ['--config', file('nocluster.yaml', 'tenants:\n  acme:\n    region: r\n    credentialsRef: "env:ECI"\n    vSwitchId: v\n    securityGroupId: s\n'), ...tlsArgs], {}, /tenants.acme.clusterIds/],
  ['a missing TLS file', ['--config', relayTenants('env:ECI'), '--tls-cert-file', '/nonexistent.pem', '--tls-key-file', pem, '--client-ca-file', pem], { ECI_ACCESS_KEY_ID: 'a', ECI_ACCESS_KEY_SECRET: 'b' }, /nonexistent.pem/],
];
for (const [name, args, env, re] of relayCases) {
  test(`gateway-relay rejects ${name} with exit 2`, (t) => {
    const r = run('gateway-relay.js', args, env);
    t.is(r.code, 2, r.out);
    t.regex(r.out, re);
  });
}

test('npm run build compiles the CLIs; the bins run from dist/ (as in the images)', (t) => {
  const b = spawnSync(process.execPath, [join(root, 'scripts', 'build.mjs')], { encoding: 'utf8', timeout: 170_000 });
  t.is(b.status, 0, `${b.stdout}${b.stderr}`);
  for (const bin of ['gateway-agent.js', 'gateway-relay.js', 'eci-emulator.js']) {
    const r = run(bin, ['--help'], { ECIGW_USE_DIST: '1' });
    t.is(r.code, 0, r.out);
    t.regex(r.out, /Usage: /);
  }
});
