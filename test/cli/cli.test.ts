// The CLIs as users run them (bin/*.js as processes): -h/--help documents every option, --version prints
// the build's version, switches can be negated (--no-x), and a configuration error of any kind (unknown
// flag, bad value from flag/env/file, unreadable or invalid kubeconfig, unreadable config file, bad YAML,
// a bad LOG_LEVEL) is exactly one line on stderr naming the field and the fix, exit code 2, no stack trace.
import test from 'ava';
import { spawn, spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { AGENT_FIELDS } from '../../agent/cli.js';
import { RELAY_FIELDS } from '../../cloud/relay/cli.js';

const root = fileURLToPath(new URL('../../', import.meta.url));
const { version } = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { version: string };
const dir = mkdtempSync(join(tmpdir(), 'ecigw-cli-'));
test.after.always(() => rmSync(dir, { recursive: true, force: true }));
const file = (name: string, content: string) => {
  const p = join(dir, name);
  writeFileSync(p, content);
  return p;
};
const pem = file('x.pem', '-----BEGIN CERTIFICATE-----\n-----END CERTIFICATE-----\n');
const unreadable = file('secret.pem', 'x');
chmodSync(unreadable, 0o000);
const asRoot = process.getuid?.() === 0; // root reads mode-000 files: that case then proves nothing
const aDir = join(dir, 'a-directory');
mkdirSync(aDir);

function run(bin: string, args: string[], env: Record<string, string> = {}) {
  const r = spawnSync(process.execPath, [join(root, 'bin', bin), ...args], {
    encoding: 'utf8',
    timeout: 60_000,
    env: { PATH: process.env.PATH, HOME: process.env.HOME, LOG_LEVEL: 'silent', ...env },
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** A configuration error as users must see it: exit 2, one stderr line matching `re`, nothing else. */
function assertConfigError(t: import('ava').ExecutionContext, r: ReturnType<typeof run>, program: string, re: RegExp) {
  const detail = `stdout: ${r.stdout}\nstderr: ${r.stderr}`;
  t.is(r.code, 2, detail);
  t.is(r.stdout, '', detail);
  t.true(r.stderr.endsWith('\n'), detail);
  t.is(r.stderr.trimEnd().split('\n').length, 1, `one line:\n${r.stderr}`);
  t.notRegex(r.stderr, /^\s+at /m, 'no stack trace');
  t.true(r.stderr.startsWith(`${program}: `), detail);
  t.regex(r.stderr, re);
}

const programs = [
  { bin: 'gateway-agent.js', name: 'gateway-agent', fields: AGENT_FIELDS },
  { bin: 'gateway-relay.js', name: 'gateway-relay', fields: RELAY_FIELDS },
  { bin: 'eci-emulator.js', name: 'eci-emulator', fields: [] },
];

for (const p of programs) {
  for (const flag of ['--help', '-h']) {
    test(`${p.name} ${flag} documents every option, -h, --version and negation`, (t) => {
      const r = run(p.bin, [flag]);
      t.is(r.code, 0, r.stderr);
      t.is(r.stderr, '');
      t.regex(r.stdout, /^Usage: /);
      t.regex(r.stdout, /-h, --help/);
      t.regex(r.stdout, /--version/);
      for (const f of p.fields) {
        if (!f.flag) continue;
        t.true(r.stdout.includes(f.type === 'boolean' ? `--[no-]${f.flag}` : `--${f.flag} `), `--${f.flag} documented`);
      }
      if (p.name === 'eci-emulator') t.regex(r.stdout, /--\[no-\]rate-limits/);
    });
  }
  test(`${p.name} --version prints the package version`, (t) => {
    const r = run(p.bin, ['--version']);
    t.is(r.code, 0, r.stderr);
    t.is(r.stdout, `${p.name} ${version}\n`);
  });
  test(`${p.name}: a bad LOG_LEVEL is a configuration error, not a crash while loading`, (t) => {
    assertConfigError(t, run(p.bin, ['--help'], { LOG_LEVEL: 'verbose' }), p.name, /LOG_LEVEL: "verbose" is not a log level; set it to one of .*info.*silent/);
  });
}

const kubeconfig = (server: string, currentContext = 'x') =>
  file(
    `kc-${currentContext}.yaml`,
    `apiVersion: v1\nkind: Config\nclusters:\n- name: c\n  cluster:\n    server: ${server}\ncontexts:\n- name: x\n  context: {cluster: c, user: u}\ncurrent-context: ${currentContext}\nusers:\n- name: u\n  user: {token: t}\n`,
  );
const agentBase = ['--cluster-id', 'c1', '--relay-address', 'relay:8443', '--relay-ca-file', pem, '--relay-token-file', pem, '--kubelet-client-ca-file', pem];
const withKc = [...agentBase, '--kubeconfig', kubeconfig('https://127.0.0.1:1')];
type Case = [name: string, args: string[], env: Record<string, string>, re: RegExp];
const agentCases: Case[] = [
  // flags
  ['an unknown flag', ['--nope'], {}, /--nope: unknown option \(see --help/],
  ['a misspelt flag, suggesting the right one', [...agentBase, '--node-nam', 'x'], {}, /--node-nam: unknown option; did you mean --node-name\?/],
  ['a flag without its value', ['--cluster-id'], {}, /--cluster-id: needs a value: write --cluster-id <value>/],
  ['a value given to a switch', ['--leader-elect=yes'], {}, /--leader-elect: is a switch and takes no value: write --leader-elect or --no-leader-elect/],
  ['a negated option that takes a value', ['--no-node-name'], {}, /--no-node-name: --node-name takes a value and cannot be negated/],
  ['a positional argument', ['start'], {}, /"start": unexpected argument/],
  // values
  ['a missing cluster id', ['--relay-address', 'r:1'], {}, /clusterId: is required; set it with --cluster-id, env ECIGW_CLUSTER_ID or "clusterId" in the config file/],
  ['a relay address without port', [...withKc, '--relay-address', 'relay'], {}, /relay\.address: must be host:port, got "relay" \(set by --relay-address\)/],
  ['a bad port from env', withKc, { ECIGW_KUBELET_PORT: '70000' }, /kubelet\.port: must be a port number 0-65535, got 70000 \(set by env ECIGW_KUBELET_PORT\)/],
  ['a non-number from env', withKc, { ECIGW_POD_WORKERS: 'many' }, /pods\.workers \(from env ECIGW_POD_WORKERS\): must be a number, got "many"/],
  ['an unknown architecture', [...withKc, '--node-arch', 'x86'], {}, /node\.arch: must be one of amd64, arm64, got "x86" \(set by --node-arch\)/],
  ['an architecture label that would contradict nodeInfo', [...withKc, '--node-labels', 'kubernetes.io/arch=arm64'], {}, /node\.labels: kubernetes\.io\/arch must say what the node reports .*set node\.arch \(--node-arch/],
  ['no credential', ['--cluster-id', 'c1', '--relay-address', 'r:1', '--relay-ca-file', pem], {}, /no agent credential/],
  ['cert without key', ['--cluster-id', 'c1', '--relay-address', 'r:1', '--relay-ca-file', pem, '--relay-cert-file', pem], {}, /relay\.keyFile: relay\.certFile and relay\.keyFile go together/],
  ['bad taints JSON', [...withKc, '--node-taints', '[{"key":"a","effect":"Sometimes"}]'], {}, /node\.taints: item 0 must have a key and effect/],
  ['bad capacity map', [...withKc, '--node-capacity', 'cpu'], {}, /node\.capacity \(from --node-capacity\): expected key=value pairs/],
  // files named by fields
  ['a missing CA file', [...agentBase, '--relay-ca-file', '/nonexistent/ca.pem'], {}, /relay\.caFile: \/nonexistent\/ca\.pem does not exist; point --relay-ca-file, env ECIGW_RELAY_CA_FILE or "relay\.caFile" in the config file at a readable file/],
  ['a directory as the token file', [...agentBase, '--relay-token-file', aDir], {}, /relay\.tokenFile: .*a-directory is not a file; point --relay-token-file/],
  ['the in-pod kubelet client CA outside a pod', agentBase.slice(0, -2), {}, /kubelet\.clientCaFile: \/var\/run\/secrets\/kubernetes\.io\/serviceaccount\/ca\.crt does not exist; point --kubelet-client-ca-file/],
  // kubeconfig
  ['a missing kubeconfig', [...agentBase, '--kubeconfig', '/nonexistent/kubeconfig'], {}, /kubeconfig: \/nonexistent\/kubeconfig does not exist; point --kubeconfig, env KUBECONFIG/],
  ['a kubeconfig from env that is not YAML', agentBase, { KUBECONFIG: file('kc-bad.yaml', 'clusters: [\n') }, /kubeconfig: .*kc-bad\.yaml is not a valid kubeconfig: .*; fix it or set --kubeconfig, env KUBECONFIG/],
  ['a kubeconfig without a server', [...agentBase, '--kubeconfig', file('kc-noserver.yaml', 'apiVersion: v1\nkind: Config\nclusters:\n- name: c\n  cluster: {insecure-skip-tls-verify: true}\n')], {}, /kubeconfig: .*kc-noserver\.yaml is not a valid kubeconfig: clusters\[0\]\.cluster\.server is missing; fix it or set --kubeconfig/],
  ['a kubeconfig whose current context is missing', [...agentBase, '--kubeconfig', kubeconfig('https://127.0.0.1:1', 'gone')], {}, /kubeconfig: .*has no cluster with a server for its current context "gone"; set current-context/],
  ['no kubeconfig outside a pod', agentBase, {}, /kubeconfig: not set, and this is not a Kubernetes Pod .*; set --kubeconfig, env KUBECONFIG or "kubeconfig" in the config file to a kubeconfig file/],
  // the config file
  ['a missing config file', ['--config', '/nonexistent/agent.yaml'], {}, /config: \/nonexistent\/agent\.yaml does not exist; point --config or env ECIGW_AGENT_CONFIG at a readable YAML or JSON file/],
  ['a config file that is a directory', [], { ECIGW_AGENT_CONFIG: aDir }, /config: .*a-directory is a directory; point --config or env ECIGW_AGENT_CONFIG/],
  ['bad YAML', ['--config', file('bad.yaml', 'clusterId: [unclosed\n')], {}, /config: .*bad\.yaml is not valid YAML\/JSON: .*fix the file/],
  ['a list at the top of the file', ['--config', file('list.yaml', '- a\n- b\n')], {}, /config: .*list\.yaml must hold a mapping/],
  ['a bad boolean in the file', ['--config', file('agent.yaml', `clusterId: c1\nrelay:\n  address: r:1\n  caFile: ${pem}\nleaderElection:\n  enabled: maybe\n`)], {}, /leaderElection\.enabled \(from .*agent\.yaml\): must be true or false, got "maybe"/],
];
if (!asRoot) agentCases.push(['an unreadable token file', [...agentBase, '--relay-token-file', unreadable], {}, /relay\.tokenFile: .*secret\.pem is not readable by this user; point --relay-token-file/]);
for (const [name, args, env, re] of agentCases) {
  test(`gateway-agent: ${name} is one line naming the field, exit 2`, (t) => {
    assertConfigError(t, run('gateway-agent.js', args, env), 'gateway-agent', re);
  });
}

// A switch's negation takes effect: with node identities on (--node-identity) a NodeRestriction-forbidden
// label is refused; with --no-node-identity the same label passes that check and start-up goes on to the
// next one (here: the unreachable kubeconfig's server is fine, the missing kubeconfig is not).
const forbiddenLabel = ['--node-labels', 'node-role.kubernetes.io/worker='];
const negations: [string, string[], RegExp][] = [
  ['--node-identity (the default) keeps the NodeRestriction check', [...agentBase, ...forbiddenLabel, '--kubeconfig', '/nonexistent'], /node\.labels: a node may not set node-role\.kubernetes\.io\/worker/],
  ['--no-node-identity lifts it', [...agentBase, ...forbiddenLabel, '--kubeconfig', '/nonexistent', '--no-node-identity'], /kubeconfig: \/nonexistent does not exist/],
  ['the last of --no-node-identity --node-identity wins', [...agentBase, ...forbiddenLabel, '--kubeconfig', '/nonexistent', '--no-node-identity', '--node-identity'], /node\.labels: a node may not set/],
  ['--no-node-identity beats env ECIGW_NODE_IDENTITY=true', [...agentBase, ...forbiddenLabel, '--kubeconfig', '/nonexistent', '--no-node-identity'], /kubeconfig: \/nonexistent does not exist/],
];
for (const [name, args, re] of negations) {
  test(`gateway-agent: ${name}`, (t) => {
    assertConfigError(t, run('gateway-agent.js', args, { ECIGW_NODE_IDENTITY: 'true' }), 'gateway-agent', re);
  });
}

const relayTenants = (ref: string) => file(`relay-${ref.replace(/\W/g, '')}.yaml`, `tenants:\n  acme:\n    region: cn-hangzhou\n    credentialsRef: "${ref}"\n    vSwitchId: vsw-1\n    securityGroupId: sg-1\n    clusterIds: [c1]\n`);
const tlsArgs = ['--tls-cert-file', pem, '--tls-key-file', pem, '--client-ca-file', pem];
const eciEnv = { ECI_ACCESS_KEY_ID: 'a', ECI_ACCESS_KEY_SECRET: 'b' };
const relayCases: Case[] = [
  ['an unknown flag', ['--tls-cert', pem], {}, /--tls-cert: unknown option; did you mean --tls-cert-file\?/],
  ['no config file', tlsArgs, {}, /config: a config file with `tenants` is required; give --config <file> or env ECIGW_RELAY_CONFIG/],
  ['a missing config file', ['--config', '/nonexistent/relay.yaml', ...tlsArgs], {}, /config: \/nonexistent\/relay\.yaml does not exist; point --config or env ECIGW_RELAY_CONFIG/],
  ['bad YAML', ['--config', file('relay-bad.yaml', 'tenants: {acme: [\n'), ...tlsArgs], {}, /config: .*relay-bad\.yaml is not valid YAML\/JSON/],
  ['bad ECI protocol', ['--config', relayTenants('env:ECI'), ...tlsArgs, '--eci-protocol', 'ftp'], eciEnv, /eci\.protocol: must be one of http, https, got "ftp" \(set by --eci-protocol\)/],
  ['missing ECI credentials', ['--config', relayTenants('env:ECI'), ...tlsArgs], {}, /tenants\.acme\.credentialsRef: .*set ECI_ACCESS_KEY_ID and ECI_ACCESS_KEY_SECRET/],
  ['an unknown credentials scheme', ['--config', relayTenants('vault:x'), ...tlsArgs], {}, /tenants\.acme\.credentialsRef: .*must start with env: or file:/],
  ['a tenant without clusterIds', ['--config', file('nocluster.yaml', 'tenants:\n  acme:\n    region: r\n    credentialsRef: "env:ECI"\n    vSwitchId: v\n    securityGroupId: s\n'), ...tlsArgs], {}, /tenants\.acme\.clusterIds/],
  ['a missing TLS file', ['--config', relayTenants('env:ECI'), '--tls-cert-file', '/nonexistent.pem', '--tls-key-file', pem, '--client-ca-file', pem], eciEnv, /tls\.certFile: \/nonexistent\.pem does not exist; point --tls-cert-file, env ECIGW_RELAY_TLS_CERT_FILE/],
  ['a bad port from env', ['--config', relayTenants('env:ECI'), ...tlsArgs], { ...eciEnv, ECIGW_RELAY_PORT: '-1' }, /port: must be a port number 0-65535, got -1 \(set by env ECIGW_RELAY_PORT\)/],
];
for (const [name, args, env, re] of relayCases) {
  test(`gateway-relay: ${name} is one line naming the field, exit 2`, (t) => {
    assertConfigError(t, run('gateway-relay.js', args, env), 'gateway-relay', re);
  });
}

const emulatorCases: Case[] = [
  ['an unknown flag', ['--rate-limit'], {}, /--rate-limit: unknown option; did you mean --rate-limits\?/],
  ['a value given to a switch', ['--insecure=no'], {}, /--insecure: is a switch and takes no value: write --insecure or --no-insecure/],
  ['a bad port', ['--port', 'http'], {}, /--port: "http" is not a port number; give 0-65535/],
  ['a bad runtime', ['--runtime', 'docker'], {}, /--runtime: "docker" must be process or simulated/],
  ['a missing config file', ['--config', '/nonexistent/emu.json'], {}, /--config: \/nonexistent\/emu\.json does not exist; point --config or env ECI_EMULATOR_CONFIG at a readable JSON file/],
  ['a config file that is not JSON', [], { ECI_EMULATOR_CONFIG: file('emu.json', '{ nope') }, /--config: .*emu\.json is not valid JSON/],
  ['an access key id without its secret', ['--access-key-id', 'AK'], {}, /--access-key-id and --access-key-secret must be given together/],
];
for (const [name, args, env, re] of emulatorCases) {
  test(`eci-emulator: ${name} is one line naming the option, exit 2`, (t) => {
    assertConfigError(t, run('eci-emulator.js', args, env), 'eci-emulator', re);
  });
}

/** Starts the emulator (simulated runtime) and returns its admin config, then stops it. */
async function emulatorConfig(args: string[]): Promise<{ rateLimitsEnabled: boolean; signature: { verify: boolean } }> {
  const child = spawn(process.execPath, [join(root, 'bin', 'eci-emulator.js'), '--runtime', 'simulated', '--port', '0', ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { PATH: process.env.PATH, HOME: process.env.HOME, LOG_LEVEL: 'silent' },
  });
  try {
    const line = await new Promise<string>((resolve, reject) => {
      let out = '';
      child.stdout.on('data', (d: Buffer) => {
        out += d.toString();
        if (out.includes('\n')) resolve(out);
      });
      child.once('exit', (code) => reject(new Error(`eci-emulator exited ${code}: ${out}`)));
    });
    const m = /listening on (http:\/\/\S+) .*adminToken=(\S+)\)/.exec(line);
    if (!m) throw new Error(`no listening line: ${line}`);
    const r = await fetch(`${m[1]}/__admin/config`, { headers: { authorization: `Bearer ${m[2]}` } });
    return (await r.json()) as { rateLimitsEnabled: boolean; signature: { verify: boolean } };
  } finally {
    const exited = new Promise((r) => child.once('exit', r));
    child.kill('SIGTERM');
    await exited;
  }
}

const switches: [string[], { rateLimitsEnabled: boolean; verify: boolean }][] = [
  [[], { rateLimitsEnabled: true, verify: true }],
  [['--no-rate-limits'], { rateLimitsEnabled: false, verify: true }],
  [['--no-rate-limits', '--rate-limits'], { rateLimitsEnabled: true, verify: true }],
  [['--insecure'], { rateLimitsEnabled: true, verify: false }],
  [['--insecure', '--no-insecure'], { rateLimitsEnabled: true, verify: true }],
];
for (const [args, want] of switches) {
  test(`eci-emulator ${args.join(' ') || '(no switches)'}: rate limits ${want.rateLimitsEnabled ? 'on' : 'off'}, signatures ${want.verify ? 'verified' : 'not verified'}`, async (t) => {
    const c = await emulatorConfig(args);
    t.deepEqual({ rateLimitsEnabled: c.rateLimitsEnabled, verify: c.signature.verify }, want);
  });
}

test('npm run build compiles the CLIs; the bins run from dist/ (as in the images)', (t) => {
  const b = spawnSync(process.execPath, [join(root, 'scripts', 'build.mjs')], { encoding: 'utf8', timeout: 170_000 });
  t.is(b.status, 0, `${b.stdout}${b.stderr}`);
  for (const p of programs) {
    const r = run(p.bin, ['--help'], { ECIGW_USE_DIST: '1' });
    t.is(r.code, 0, r.stderr);
    t.regex(r.stdout, /Usage: /);
    const v = run(p.bin, ['--version'], { ECIGW_USE_DIST: '1' });
    t.is(v.stdout, `${p.name} ${version}\n`, 'the version is read from package.json in dist/ too');
  }
});
