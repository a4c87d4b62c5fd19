// The virtual node says what its burst pods run on: node.arch (flag, env or file; amd64 by default, arm64
// for ARM instance types) becomes status.nodeInfo.architecture and the kubernetes.io/arch labels, the OS is
// linux, and no node label can make the labels contradict nodeInfo.
import test from 'ava';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AGENT_FIELDS, nodeConfigFrom, validateAgentConfig } from '../../agent/cli.js';
import { buildNode, buildNodeStatus } from '../../agent/node/node-spec.js';
import { loadConfig } from '../../common/config.js';

const dir = mkdtempSync(join(tmpdir(), 'ecigw-arch-'));
test.after.always(() => rmSync(dir, { recursive: true, force: true }));
const pem = join(dir, 'x.pem');
writeFileSync(pem, 'x');
const base = ['--cluster-id', 'c1', '--relay-address', 'r:1', '--relay-ca-file', pem, '--relay-token-file', pem, '--kubelet-client-ca-file', pem];
const configFile = (arch: string) => {
  const p = join(dir, `agent-${arch}.yaml`);
  writeFileSync(p, `node:\n  arch: ${arch}\n`);
  return p;
};

const cases: [name: string, argv: string[], env: Record<string, string>, arch: string][] = [
  ['default', [], {}, 'amd64'],
  ['flag', ['--node-arch', 'arm64'], {}, 'arm64'],
  ['env', [], { ECIGW_NODE_ARCH: 'arm64' }, 'arm64'],
  ['config file', ['--config', configFile('arm64')], {}, 'arm64'],
  ['flag over env', ['--node-arch', 'amd64'], { ECIGW_NODE_ARCH: 'arm64' }, 'amd64'],
  ['env over file', ['--config', configFile('amd64')], { ECIGW_NODE_ARCH: 'arm64' }, 'arm64'],
];

for (const [name, argv, env, arch] of cases) {
  test(`node.arch from ${name}: nodeInfo and labels say linux/${arch}`, (t) => {
    const loaded = loadConfig(AGENT_FIELDS, { argv: [...base, ...argv], env, configEnv: 'ECIGW_AGENT_CONFIG' });
    if (!loaded) throw new Error('no config');
    validateAgentConfig(loaded.values);
    const cfg = nodeConfigFrom(loaded.values);
    const labels = buildNode(cfg).metadata?.labels ?? {};
    const info = buildNodeStatus(cfg, { connected: true, reason: 'r', message: 'm', since: new Date(0) }, new Date(0)).nodeInfo;
    t.is(info?.architecture, arch);
    t.is(info?.operatingSystem, 'linux');
    t.like(labels, { 'kubernetes.io/arch': arch, 'beta.kubernetes.io/arch': arch, 'kubernetes.io/os': 'linux', 'beta.kubernetes.io/os': 'linux' });
  });
}

test('buildNode keeps the platform labels equal to nodeInfo even when the given labels disagree', (t) => {
  const loaded = loadConfig(AGENT_FIELDS, { argv: [...base, '--node-arch', 'arm64'], env: {}, configEnv: 'X' });
  if (!loaded) throw new Error('no config');
  const cfg = { ...nodeConfigFrom(loaded.values), labels: { 'kubernetes.io/arch': 'amd64', 'kubernetes.io/os': 'windows', team: 'burst' } };
  t.like(buildNode(cfg).metadata?.labels, { 'kubernetes.io/arch': 'arm64', 'kubernetes.io/os': 'linux', team: 'burst' });
});
