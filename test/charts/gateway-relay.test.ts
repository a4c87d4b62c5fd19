// charts/gateway-relay rendered with helm: lint, the objects for default and non-default values, the
// tenant config read back by the relay's own parsers, the real relay process booted from the rendered
// ConfigMap and Secrets laid out on disk, and values the schema must reject.
import test from 'ava';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, readFileSync, writeFileSync } from 'node:fs';
import { connect } from 'node:tls';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createHash } from 'node:crypto';
import { load as loadYaml } from 'js-yaml';
import type { V1ConfigMap, V1Deployment, V1PodDisruptionBudget, V1Secret, V1Service } from '@kubernetes/client-node';
import { RELAY_FIELDS } from '../../cloud/relay/cli.js';
import { parseRelayConfig, DEFAULT_LIMITS } from '../../cloud/relay/config.js';
import { LIMIT_KEYS } from '../../cloud/relay/limits.js';
import { resolveCredentials } from '../../cloud/eci/credentials.js';
import { POLICY_EIP_KEYS, POLICY_KEYS, POLICY_SPOT_KEYS, defaultPolicy } from '../../cloud/eci/policy/index.js';
import { loadConfig } from '../../common/config.js';
import { createCa, issueCert } from '../../common/pki.js';
import { all, chartDir, containerEnv, helm, materializeMounts, one, render, template, REPO_ROOT, type KubeObject } from './helm.js';

const CHART = 'gateway-relay';

test('helm lint --strict passes with the CI values', async (t) => {
  const r = await helm(['lint', '--strict', chartDir(CHART), '-f', join(chartDir(CHART), 'ci', 'test-values.yaml')]);
  t.is(r.code, 0, r.stdout + r.stderr);
});

test('helm lint without tenants and TLS fails naming them', async (t) => {
  const r = await helm(['lint', chartDir(CHART)]);
  t.not(r.code, 0);
  t.regex(r.stdout + r.stderr, /\/tenants/);
  t.regex(r.stdout + r.stderr, /\/tls\/cert/);
});

test('default values: 2 replicas, LoadBalancer on 8443 and 8444 (data connections), probes and an ops Service on the ops port, PDB, no ServiceMonitor', async (t) => {
  const objs = await render(CHART);
  t.deepEqual(objs.map((o) => o.kind).sort(), ['ConfigMap', 'Deployment', 'PodDisruptionBudget', 'Secret', 'Secret', 'Service', 'Service', 'ServiceAccount']);
  const d = one<V1Deployment>(objs, 'Deployment');
  t.is(d.spec?.replicas, 2);
  const pod = d.spec!.template.spec!;
  const c = pod.containers[0];
  t.is(c.image, 'ghcr.io/eci-hybrid-gateway/gateway-relay:0.1.0');
  t.deepEqual(c.ports?.map((p) => [p.name, p.containerPort]), [['grpc', 8443], ['data', 8444], ['ops', 9096]]);
  t.deepEqual([c.livenessProbe?.httpGet?.path, c.livenessProbe?.httpGet?.port], ['/healthz', 'ops']);
  t.deepEqual([c.readinessProbe?.httpGet?.path, c.readinessProbe?.httpGet?.port], ['/readyz', 'ops']);
  t.true(pod.securityContext?.runAsNonRoot);
  t.false(pod.automountServiceAccountToken, 'the relay does not call the Kubernetes API');
  t.true(c.securityContext?.readOnlyRootFilesystem);
  const svc = one<V1Service>(objs, 'Service', 'gateway-relay');
  t.is(svc.spec?.type, 'LoadBalancer');
  t.deepEqual(svc.spec?.ports?.map((p) => [p.name, p.port, p.targetPort]), [['grpc', 8443, 'grpc'], ['data', 8444, 'data']]);
  t.deepEqual(svc.spec?.selector, d.spec?.selector.matchLabels);
  t.is(one<V1PodDisruptionBudget>(objs, 'PodDisruptionBudget').spec?.minAvailable, 1);
  const tls = one<V1Secret>(objs, 'Secret', '-tls');
  t.is(tls.type, 'kubernetes.io/tls');
  t.deepEqual(Object.keys(tls.data ?? {}).sort(), ['ca.crt', 'tls.crt', 'tls.key']);
  const creds = one<V1Secret>(objs, 'Secret', '-eci-credentials');
  t.deepEqual(JSON.parse(Buffer.from(creds.data!['acme.json'], 'base64').toString()), { accessKeyId: 'LTAI-test', accessKeySecret: 'secret-test' });
});

/** Lays out the pod's mounted files under a temp root; returns the env and the rewritten config path. */
function layOut(objs: KubeObject[], t: { teardown: (f: () => void) => void }) {
  const root = mkdtempSync(join(tmpdir(), 'ecigw-relay-pod-'));
  t.teardown(() => rmSync(root, { recursive: true, force: true }));
  const d = one<V1Deployment>(objs, 'Deployment');
  const missing = materializeMounts(objs, d, root);
  const env = containerEnv(d, { name: 'relay-0', namespace: 'ecigw', ip: '10.0.0.9' });
  const cfgPath = join(root, env.ECIGW_RELAY_CONFIG);
  writeFileSync(cfgPath, readFileSync(cfgPath, 'utf8').replaceAll('/etc/ecigw/', `${root}/etc/ecigw/`));
  return { env: { ...env, ECIGW_RELAY_CONFIG: cfgPath }, cfgPath, root, missing };
}

test('the rendered config loads through the relay CLI config (RELAY_FIELDS, parseRelayConfig) and credentials resolve', async (t) => {
  const objs = await render(CHART);
  const { env, cfgPath, root, missing } = layOut(objs, t);
  t.deepEqual(missing, []);
  const loaded = loadConfig(RELAY_FIELDS, { argv: [], env, configEnv: 'ECIGW_RELAY_CONFIG' });
  t.like(loaded?.values, { port: 8443, 'ops.port': 9096, 'eci.protocol': 'https', 'eci.timeoutMs': 10000, gcGraceSeconds: 60, 'tls.certFile': `${root}/etc/ecigw/tls/tls.crt`, 'tls.clientCaFile': `${root}/etc/ecigw/tls/ca.crt` });
  for (const f of ['tls.certFile', 'tls.keyFile', 'tls.clientCaFile']) t.regex(readFileSync(loaded?.values[f] as string, 'utf8'), /-----BEGIN/);
  const cfg = parseRelayConfig(loadYaml(readFileSync(cfgPath, 'utf8')));
  t.deepEqual(cfg.tenants.acme, { id: 'acme', region: 'cn-hangzhou', credentialsRef: `file:${root}/etc/ecigw/credentials/acme.json`, vSwitchId: 'vsw-test', securityGroupId: 'sg-test', tags: {}, quotas: { maxPods: 100 }, policy: defaultPolicy(), clusterIds: ['onprem-1'] });
  t.deepEqual(cfg.certificateIdentities, { 'agent-onprem-1': { tenantId: 'acme', clusterIds: ['onprem-1'] } });
  t.deepEqual(cfg.limits, DEFAULT_LIMITS);
  t.is(cfg.tokenFile, undefined);
  t.deepEqual(resolveCredentials(cfg.tenants.acme.credentialsRef, {}), { accessKeyId: 'LTAI-test', accessKeySecret: 'secret-test', securityToken: undefined });
});

const token = 'agent-bearer-token';
const tokenHash = createHash('sha256').update(token).digest('hex');
const acmePolicy = {
  ramRoles: ['acme-reader'],
  securityGroups: ['sg-dmz00001'],
  vSwitches: ['vsw-dmz00001'],
  resourceGroups: ['rg-finance1'],
  instanceTypes: ['2-4Gi', 'ecs.c6.*'],
  maxPodCpu: 8,
  maxPodMemoryGiB: 32,
  maxEphemeralStorageGiB: 100,
  spot: { strategies: ['SpotWithPriceLimit'], maxPriceLimit: 0.5 },
  eip: { create: true, instanceIds: ['eip-prod0001'], commonBandwidthPackages: ['cbwp-shared01'], maxBandwidthMbps: 10, isps: ['BGP'] },
  dataCacheBuckets: ['models'],
  imageCaches: ['imc-team0001'],
  acrInstances: ['cri-abcd1234'],
  imageRegistries: ['*.aliyuncs.com', 'docker.io'],
  flexVolumeDrivers: ['alicloud/nas'],
};
const custom = {
  replicaCount: 4,
  port: 9443,
  service: { type: 'ClusterIP', annotations: { 'example.com/lb': 'internal' } },
  eci: { endpoint: 'eci-emulator.internal:8080', protocol: 'http', timeoutMs: 5000 },
  gcGraceSeconds: 120,
  tenants: {
    acme: { region: 'cn-hangzhou', vSwitchId: 'vsw-a', securityGroupId: 'sg-a', clusterIds: ['onprem-1', 'onprem-2'], tags: { cost: 'ml' }, quotas: { maxPods: 500 }, eciRates: { CreateContainerGroup: 100, DescribeContainerGroups: { perSecond: 200, burst: 50 } }, policy: acmePolicy },
    globex: { region: 'cn-shanghai', vSwitchId: 'vsw-g', securityGroupId: 'sg-g', clusterIds: ['dc-9'], credentialsRef: 'env:GLOBEX' },
  },
  certificateIdentities: { 'agent-onprem-1': { tenant: 'acme', clusterIds: ['onprem-1'] }, 'spiffe://dc-9/agent': 'globex' },
  tokens: { hashes: { [tokenHash]: 'globex' } },
  limits: { maxSessionsPerAgent: 50, requestsPerSecond: 100, maxMessageBytes: 8388608, maxLogSessionsPerAgent: 10, maxConnectionsPerSource: 32, handshakeTimeoutMs: 5000, maxServiceConnectionsPerAgent: 4096, serviceConnectionsPerSecond: 250.5, serviceConnectionBurst: 500 },
  extraEnv: [
    { name: 'GLOBEX_ACCESS_KEY_ID', valueFrom: { secretKeyRef: { name: 'globex-ak', key: 'id' } } },
    { name: 'GLOBEX_ACCESS_KEY_SECRET', valueFrom: { secretKeyRef: { name: 'globex-ak', key: 'secret' } } },
  ],
  ops: { port: 19096 },
};

test('non-default values: ClusterIP, tenants, token file, limits, env credentials, ECI endpoint', async (t) => {
  const objs = await render(CHART, [custom]);
  const d = one<V1Deployment>(objs, 'Deployment');
  t.is(d.spec?.replicas, 4);
  const c = d.spec!.template.spec!.containers[0];
  t.deepEqual(c.ports?.map((p) => p.containerPort), [9443, 8444, 19096]);
  t.deepEqual(c.env?.filter((e) => e.name.startsWith('GLOBEX_')).map((e) => e.valueFrom?.secretKeyRef?.name), ['globex-ak', 'globex-ak']);
  const svc = one<V1Service>(objs, 'Service', 'gateway-relay');
  t.is(svc.spec?.type, 'ClusterIP');
  t.is(svc.metadata?.annotations?.['example.com/lb'], 'internal');
  t.deepEqual(svc.spec?.ports?.map((p) => p.port), [9443, 8444]);
  const tokens = one<V1Secret>(objs, 'Secret', '-tokens');
  t.deepEqual(JSON.parse(Buffer.from(tokens.data!['tokens.json'], 'base64').toString()), { [tokenHash]: 'globex' });

  const { env, cfgPath, root } = layOut(objs, t);
  const v = loadConfig(RELAY_FIELDS, { argv: [], env, configEnv: 'ECIGW_RELAY_CONFIG' })?.values;
  t.like(v, { port: 9443, 'ops.port': 19096, 'eci.endpoint': 'eci-emulator.internal:8080', 'eci.protocol': 'http', 'eci.timeoutMs': 5000, gcGraceSeconds: 120 });
  const cfg = parseRelayConfig(loadYaml(readFileSync(cfgPath, 'utf8')));
  t.deepEqual(Object.keys(cfg.tenants).sort(), ['acme', 'globex']);
  t.like(cfg.tenants.acme, { clusterIds: ['onprem-1', 'onprem-2'], tags: { cost: 'ml' }, quotas: { maxPods: 500 }, credentialsRef: `file:${root}/etc/ecigw/credentials/acme.json` });
  t.deepEqual(cfg.tenants.acme.eciRates, { CreateContainerGroup: { perSecond: 100 }, DescribeContainerGroups: { perSecond: 200, burst: 50 } });
  t.deepEqual(cfg.tenants.acme.policy, acmePolicy, 'the tenant policy reaches the relay as given');
  t.deepEqual(cfg.tenants.globex.policy, defaultPolicy(), 'no policy: every privilege denied');
  t.deepEqual(cfg.tenants.globex.quotas, { maxPods: 100 });
  t.is(cfg.tenants.globex.credentialsRef, 'env:GLOBEX');
  t.deepEqual(cfg.certificateIdentities, { 'agent-onprem-1': { tenantId: 'acme', clusterIds: ['onprem-1'] }, 'spiffe://dc-9/agent': { tenantId: 'globex', clusterIds: ['dc-9'] } });
  t.like(cfg.limits, { maxSessionsPerAgent: 50, requestsPerSecond: 100, maxMessageBytes: 8388608, maxLogSessionsPerAgent: 10, maxConnectionsPerSource: 32, handshakeTimeoutMs: 5000, burst: DEFAULT_LIMITS.burst });
  // Service connections of tunnel-mode agents (their own cap and open-rate bucket).
  t.like(cfg.limits, { maxServiceConnectionsPerAgent: 4096, serviceConnectionsPerSecond: 250.5, serviceConnectionBurst: 500 });
  t.is(cfg.tokenFile, `${root}/etc/ecigw/tokens/tokens.json`);
  t.deepEqual(JSON.parse(readFileSync(cfg.tokenFile!, 'utf8')), { [tokenHash]: 'globex' });
  // globex reads env credentials: the credentials Secret holds acme's file only.
  t.deepEqual(Object.keys(one<V1Secret>(objs, 'Secret', '-eci-credentials').data ?? {}), ['acme.json']);
  t.deepEqual(resolveCredentials(cfg.tenants.acme.credentialsRef, {}).accessKeyId, 'LTAI-test');
});

test('dataPort: 8444 by default (the relay config, a container port and a Service port named data); empty turns it off', async (t) => {
  const off = await render(CHART, [{ dataPort: '' }]);
  t.false(one<V1Deployment>(off, 'Deployment').spec!.template.spec!.containers[0].ports!.some((p) => p.name === 'data'));
  const { cfgPath: offCfg } = layOut(off, t);
  t.false('dataPort' in (loadYaml(readFileSync(offCfg, 'utf8')) as object));
  const on = await render(CHART);
  const c = one<V1Deployment>(on, 'Deployment').spec!.template.spec!.containers[0];
  t.like(c.ports!.find((p) => p.name === 'data'), { containerPort: 8444, protocol: 'TCP' });
  t.like(one<V1Service>(on, 'Service', 'gateway-relay').spec!.ports!.find((p) => p.name === 'data'), { port: 8444, targetPort: 'data' });
  const { env, cfgPath } = layOut(on, t);
  t.is(loadConfig(RELAY_FIELDS, { argv: [], env, configEnv: 'ECIGW_RELAY_CONFIG' })?.values.dataPort, 8444, 'the relay CLI reads it from the rendered config');
  t.is(readFileSync(cfgPath, 'utf8').includes('dataPort: 8444'), true);
  const bad = await template(CHART, [{ dataPort: 70000 }]);
  t.not(bad.code, 0, 'the schema refuses a port out of range');
});

test('ServiceMonitor only when enabled; it selects the ops Service and only that', async (t) => {
  t.is(all(await render(CHART), 'ServiceMonitor').length, 0);
  const objs = await render(CHART, [{ serviceMonitor: { enabled: true } }]);
  const sm = one<KubeObject & { spec: { endpoints: { port: string; path: string }[]; selector: { matchLabels: Record<string, string> } } }>(objs, 'ServiceMonitor');
  t.is(sm.apiVersion, 'monitoring.coreos.com/v1');
  t.deepEqual(sm.spec.endpoints.map((e) => [e.port, e.path]), [['ops', '/metrics']]);
  const ops = one<V1Service>(objs, 'Service', '-ops');
  t.deepEqual(ops.spec?.ports?.map((p) => p.port), [9096]);
  for (const [k, val] of Object.entries(sm.spec.selector.matchLabels)) t.is(ops.metadata?.labels?.[k], val);
  t.deepEqual(ops.spec?.selector, one<V1Deployment>(objs, 'Deployment').spec?.selector.matchLabels);
  const grpc = one<V1Service>(objs, 'Service', 'gateway-relay');
  t.is(grpc.spec?.type, 'LoadBalancer');
  t.is(grpc.metadata?.labels?.['app.kubernetes.io/component'], 'relay', 'the gRPC Service is not selected by the ServiceMonitor');
  t.is(sm.spec.selector.matchLabels['app.kubernetes.io/component'], 'ops');
});

test('the real gateway-relay process starts from the rendered ConfigMap and Secrets', async (t) => {
  const ca = await createCa('relay-ca');
  const server = await issueCert(ca, { cn: 'relay', dns: ['localhost'], ips: ['127.0.0.1'], server: true });
  const objs = await render(CHART, [{ tls: { cert: server.certPem, key: server.keyPem, clientCA: ca.certPem } }]);
  const { env } = layOut(objs, t);
  const child = spawn(process.execPath, [join(REPO_ROOT, 'bin/gateway-relay.js'), '--listen', '127.0.0.1', '--port', '0', '--ops-listen', '127.0.0.1', '--ops-port', '0'], {
    env: { PATH: process.env.PATH, NODE_ENV: 'test', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout.on('data', (b: Buffer) => (out += b.toString()));
  child.stderr.on('data', (b: Buffer) => (out += b.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  t.teardown(() => {
    if (child.exitCode === null) child.kill('SIGKILL');
  });
  // The relay's "listening" line, read as its output arrives (the listeners above have appended it to `out`).
  const listening = await Promise.race([
    new Promise<RegExpMatchArray>((resolve) => {
      const check = () => {
        const m = /gateway-relay listening on 127\.0\.0\.1:(\d+) \(ops (\d+)\)/.exec(out);
        if (m) resolve(m);
      };
      child.stdout.on('data', check);
      child.stderr.on('data', check);
    }),
    exited.then((code) => {
      throw new Error(`relay exited ${code}: ${out}`);
    }),
  ]);
  const health = await fetch(`http://127.0.0.1:${listening[2]}/healthz`);
  t.is(health.status, 200);
  child.kill('SIGTERM');
  t.is(await exited, 0, out);
});

// Networking mode `tunnel`, outbound: the egress listener burst pods' sidecars call.
const EGRESS_TENANT = { relayAddress: 'relay-egress.internal.example.com:8445', image: 'registry.example.com/ecigw/egress:0.1.0' };
const PEM = '-----BEGIN CERTIFICATE-----\nsidecars-ca\n-----END CERTIFICATE-----\n';
const relayContainer = (objs: KubeObject[]) => one<V1Deployment>(objs, 'Deployment').spec!.template.spec!.containers[0];
const relayPod = (objs: KubeObject[]) => one<V1Deployment>(objs, 'Deployment').spec!.template.spec!;
/** The TLS Secret volume's mode (0440 in the template): the egress Secrets are mounted the same way. */
const tlsMode = (objs: KubeObject[]) => relayPod(objs).volumes!.find((v) => v.name === 'tls')?.secret?.defaultMode;

test('egress off (the default): no egress port, Secret, ConfigMap, volume or config key, and nothing else changes', async (t) => {
  const objs = await render(CHART);
  t.false(relayContainer(objs).ports!.some((p) => p.name === 'egress'));
  t.false(one<V1Service>(objs, 'Service', 'gateway-relay').spec!.ports!.some((p) => p.name === 'egress'));
  t.deepEqual(
    objs.map((o) => `${o.kind}/${o.metadata.name}`).filter((n) => n.includes('egress')),
    [],
  );
  t.false(relayPod(objs).volumes!.some((v) => v.name.startsWith('egress')));
  t.false(relayContainer(objs).volumeMounts!.some((m) => m.name.startsWith('egress')));
  const { env, cfgPath } = layOut(objs, t);
  t.false('egress' in (loadYaml(readFileSync(cfgPath, 'utf8')) as object));
  t.is(loadConfig(RELAY_FIELDS, { argv: [], env, configEnv: 'ECIGW_RELAY_CONFIG' })?.values['egress.port'], undefined, 'the relay opens no egress listener');
  t.deepEqual(Object.keys(one<V1Deployment>(objs, 'Deployment').spec!.template.metadata!.annotations!), ['checksum/config']);
  // egress.* values other than enabled change nothing while it is off.
  const tuned = await render(CHART, [{ egress: { port: 9445, checkSourceAddress: false, tokenKey: { existingSecret: 'k' }, ca: { pem: PEM } } }]);
  t.deepEqual(tuned, objs);
});

test('egress on: port 8445 on the container and the relay Service, a generated token key Secret mounted, the TLS ca.crt as the sidecars\' CA; the relay CLI loads it', async (t) => {
  const objs = await render(CHART, [{ egress: { enabled: true } }]);
  t.like(relayContainer(objs).ports!.find((p) => p.name === 'egress'), { containerPort: 8445, protocol: 'TCP' });
  t.deepEqual(relayContainer(objs).ports!.map((p) => p.name), ['grpc', 'data', 'egress', 'ops']);
  const svc = one<V1Service>(objs, 'Service', 'gateway-relay');
  t.deepEqual(svc.spec!.ports!.map((p) => [p.name, p.port, p.targetPort]), [['grpc', 8443, 'grpc'], ['data', 8444, 'data'], ['egress', 8445, 'egress']]);
  t.is(svc.spec!.type, 'LoadBalancer', 'the same Service as the relay\'s other ports');
  t.deepEqual(one<V1Service>(objs, 'Service', '-ops').spec!.ports!.map((p) => p.name), ['ops'], 'not on the ops Service');
  // The generated key: 48 random bytes, kept on uninstall, new on each render without a cluster to look it up in.
  const secret = one<V1Secret>(objs, 'Secret', '-egress-token-key');
  t.is(secret.metadata!.name, 'rel-gateway-relay-egress-token-key');
  t.is(secret.metadata!.annotations?.['helm.sh/resource-policy'], 'keep');
  t.deepEqual(Object.keys(secret.data!), ['token-key']);
  const key = Buffer.from(secret.data!['token-key'], 'base64');
  t.is(key.length, 48);
  t.not(one<V1Secret>(await render(CHART, [{ egress: { enabled: true } }]), 'Secret', '-egress-token-key').data!['token-key'], secret.data!['token-key'], 'random, not derived from the values');
  const vol = relayPod(objs).volumes!.find((v) => v.name === 'egress-token');
  t.deepEqual(vol?.secret, { secretName: 'rel-gateway-relay-egress-token-key', defaultMode: tlsMode(objs), items: [{ key: 'token-key', path: 'token-key' }] });
  t.deepEqual(relayContainer(objs).volumeMounts!.find((m) => m.name === 'egress-token'), { name: 'egress-token', mountPath: '/etc/ecigw/egress-token', readOnly: true });
  t.false(relayPod(objs).volumes!.some((v) => v.name === 'egress-ca'), 'the CA comes from the TLS Secret already mounted');
  t.is(all(objs, 'ConfigMap').length, 1);

  const { env, root } = layOut(objs, t);
  const v = loadConfig(RELAY_FIELDS, { argv: [], env, configEnv: 'ECIGW_RELAY_CONFIG' })?.values;
  t.like(v, { 'egress.port': 8445, 'egress.tokenKeyFile': `${root}/etc/ecigw/egress-token/token-key`, 'egress.caFile': `${root}/etc/ecigw/tls/ca.crt`, 'egress.checkSourceAddress': true });
  t.deepEqual(readFileSync(v?.['egress.tokenKeyFile'] as string), key, 'the mounted file is the key, byte for byte');
  t.regex(readFileSync(v?.['egress.caFile'] as string, 'utf8'), /-----BEGIN CERTIFICATE-----/);
  // The inline TLS clientCA is the sidecars' CA here: a change rolls the pods (the relay reads it at start).
  const annotations = one<V1Deployment>(objs, 'Deployment').spec!.template.metadata!.annotations!;
  t.deepEqual(Object.keys(annotations).sort(), ['checksum/config', 'checksum/egress-ca']);
  const clientCa = Buffer.from(one<V1Secret>(objs, 'Secret', '-tls').data!['ca.crt'], 'base64');
  t.is(annotations['checksum/egress-ca'], createHash('sha256').update(clientCa).digest('hex'));
});

test('egress: checkSourceAddress false, another port, an existing token key Secret and each CA source reach the relay config', async (t) => {
  const objs = await render(CHART, [{ egress: { enabled: true, port: 9445, checkSourceAddress: false, tokenKey: { existingSecret: 'relay-egress-key', key: 'hmac.key' }, ca: { pem: PEM } } }]);
  t.is(all(objs, 'Secret').filter((o) => o.metadata.name.includes('egress')).length, 0, 'an existing Secret is referenced, not rendered');
  t.deepEqual(relayPod(objs).volumes!.find((v) => v.name === 'egress-token')?.secret, { secretName: 'relay-egress-key', defaultMode: tlsMode(objs), items: [{ key: 'hmac.key', path: 'hmac.key' }] });
  const cm = one<V1ConfigMap>(objs, 'ConfigMap', '-egress-ca');
  t.deepEqual(cm.data, { 'ca.crt': PEM });
  t.deepEqual(relayPod(objs).volumes!.find((v) => v.name === 'egress-ca')?.configMap, { name: 'rel-gateway-relay-egress-ca', items: [{ key: 'ca.crt', path: 'ca.crt' }] });
  t.like(one<V1Service>(objs, 'Service', 'gateway-relay').spec!.ports!.find((p) => p.name === 'egress'), { port: 9445 });
  const { env, root, missing } = layOut(objs, t);
  t.deepEqual(missing, ['egress-token'], 'the existing Secret is not among the rendered objects');
  const v = loadConfig(RELAY_FIELDS, { argv: [], env, configEnv: 'ECIGW_RELAY_CONFIG' })?.values;
  t.like(v, { 'egress.port': 9445, 'egress.tokenKeyFile': `${root}/etc/ecigw/egress-token/hmac.key`, 'egress.caFile': `${root}/etc/ecigw/egress-ca/ca.crt`, 'egress.checkSourceAddress': false });
  t.is(readFileSync(v?.['egress.caFile'] as string, 'utf8'), PEM);
  const checksum = (o: KubeObject[]) => one<V1Deployment>(o, 'Deployment').spec!.template.metadata!.annotations!['checksum/egress-ca'];
  t.is(checksum(objs), createHash('sha256').update(PEM).digest('hex'));
  t.not(checksum(await render(CHART, [{ egress: { enabled: true, ca: { pem: PEM.replace('sidecars-ca', 'rotated') } } }])), checksum(objs), 'a new bundle rolls the pods');

  for (const [ca, source] of [
    [{ existingSecret: 'sidecars-ca', key: 'bundle.pem' }, { secret: { secretName: 'sidecars-ca', defaultMode: tlsMode(objs), items: [{ key: 'bundle.pem', path: 'bundle.pem' }] } }],
    [{ existingConfigMap: 'sidecars-ca' }, { configMap: { name: 'sidecars-ca', items: [{ key: 'ca.crt', path: 'ca.crt' }] } }],
  ] as const) {
    const o = await render(CHART, [{ egress: { enabled: true, ca } }]);
    t.deepEqual(relayPod(o).volumes!.find((x) => x.name === 'egress-ca'), { name: 'egress-ca', ...source });
    t.is(all(o, 'ConfigMap').length, 1, 'no ConfigMap of the chart\'s own');
    t.regex(one<V1ConfigMap>(o, 'ConfigMap', '-config').data!['relay.yaml'], new RegExp(`caFile: /etc/ecigw/egress-ca/${'key' in ca ? 'bundle\\.pem' : 'ca\\.crt'}\\n`));
    t.false('checksum/egress-ca' in one<V1Deployment>(o, 'Deployment').spec!.template.metadata!.annotations!, 'not the chart\'s to track');
  }
  // The TLS Secret's ca.crt from an existing Secret: nothing inline to track either.
  const existingTls = await render(CHART, [{ tls: { existingSecret: 'relay-tls' }, egress: { enabled: true } }]);
  t.deepEqual(Object.keys(one<V1Deployment>(existingTls, 'Deployment').spec!.template.metadata!.annotations!), ['checksum/config']);
});

test('tenants.<id>.egress reaches the relay\'s parser as given (every key), and needs egress.enabled', async (t) => {
  const full = { ...EGRESS_TENANT, serverName: 'relay.example.com', command: ['node', '/app/bin/gateway-egress.js'], clusterDomain: 'corp.local', upstreamDns: ['10.0.0.2'] };
  const objs = await render(CHART, [{ egress: { enabled: true }, tenants: { acme: { egress: full }, globex: { region: 'cn-shanghai', vSwitchId: 'vsw-g', securityGroupId: 'sg-g', clusterIds: ['dc-9'], egress: EGRESS_TENANT } } }]);
  const { cfgPath } = layOut(objs, t);
  const cfg = parseRelayConfig(loadYaml(readFileSync(cfgPath, 'utf8')));
  t.deepEqual(cfg.tenants.acme.egress, full);
  t.deepEqual(cfg.tenants.globex.egress, { ...EGRESS_TENANT, clusterDomain: 'cluster.local', upstreamDns: ['100.100.2.136', '100.100.2.138'] }, 'the relay\'s defaults');
  const off = await template(CHART, [{ tenants: { acme: { egress: EGRESS_TENANT } } }]);
  t.not(off.code, 0);
  t.regex(off.stderr, /tenants\.acme\.egress: set egress\.enabled=true/);
});

test('the real gateway-relay process opens the egress listener from the rendered values: its token key loads and the mounted CA bundle verifies its certificate', async (t) => {
  const relayCa = await createCa('relay-ca');
  const agentsCa = await createCa('agents-ca');
  const server = await issueCert(relayCa, { cn: 'relay', dns: ['localhost'], ips: ['127.0.0.1'], server: true });
  // The sidecars' CA (the relay's issuer) differs from the agents' client CA: only egress.ca.pem verifies the relay.
  const objs = await render(CHART, [{ tls: { cert: server.certPem, key: server.keyPem, clientCA: agentsCa.certPem }, egress: { enabled: true, ca: { pem: relayCa.certPem } } }]);
  const { env } = layOut(objs, t);
  const caFile = loadConfig(RELAY_FIELDS, { argv: [], env, configEnv: 'ECIGW_RELAY_CONFIG' })?.values['egress.caFile'] as string;
  t.true(existsSync(caFile));
  const child = spawn(process.execPath, [join(REPO_ROOT, 'bin/gateway-relay.js'), '--listen', '127.0.0.1', '--port', '0', '--data-port', '0', '--egress-port', '0', '--ops-listen', '127.0.0.1', '--ops-port', '0'], {
    env: { PATH: process.env.PATH, NODE_ENV: 'test', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  t.teardown(() => {
    if (child.exitCode === null) child.kill('SIGKILL');
  });
  // The egress listener's log line carries its port.
  const egressPort = await Promise.race([
    new Promise<number>((resolve) => {
      const check = (b: Buffer) => {
        out += b.toString();
        const line = out.split('\n').find((l) => l.includes('egress listener'));
        if (line) resolve((JSON.parse(line) as { port: number }).port);
      };
      child.stdout.on('data', check);
      child.stderr.on('data', check);
    }),
    exited.then((code) => {
      throw new Error(`relay exited ${code}: ${out}`);
    }),
  ]);
  const handshake = (ca: string) =>
    new Promise<string>((resolve) => {
      const s = connect({ host: '127.0.0.1', port: egressPort, servername: 'localhost', ca, ALPNProtocols: ['h2'] });
      s.once('secureConnect', () => (s.destroy(), resolve('verified')));
      s.once('error', (e: NodeJS.ErrnoException) => resolve(e.code ?? e.message));
    });
  t.is(await handshake(readFileSync(caFile, 'utf8')), 'verified', 'the bundle sidecars get verifies the relay');
  t.not(await handshake(agentsCa.certPem), 'verified', 'the agents\' client CA would not');
  child.kill('SIGTERM');
  t.is(await exited, 0, out);
});

const rejected: [string, object, RegExp][] = [
  ['an egress port out of range', { egress: { enabled: true, port: 70000 } }, /\/egress\/port/],
  ['egress.enabled as a string', { egress: { enabled: 'yes' } }, /\/egress\/enabled/],
  ['egress.checkSourceAddress as a string', { egress: { checkSourceAddress: 'false' } }, /\/egress\/checkSourceAddress/],
  ['an unknown egress key', { egress: { tokenKeyFile: '/k' } }, /\/egress/],
  ['an egress CA bundle that is not PEM', { egress: { ca: { pem: 'not a cert' } } }, /\/egress\/ca\/pem/],
  ['an egress token key name with a slash', { egress: { tokenKey: { key: 'a/b' } } }, /\/egress\/tokenKey\/key/],
  ['an egress token key Secret name that is not a name', { egress: { tokenKey: { existingSecret: 'My Secret' } } }, /\/egress\/tokenKey\/existingSecret/],
  ['tenant egress without an image', { tenants: { acme: { egress: { relayAddress: 'relay:8445' } } } }, /\/tenants\/acme\/egress/],
  ['a tenant egress relayAddress without a port', { tenants: { acme: { egress: { ...EGRESS_TENANT, relayAddress: 'relay.example.com' } } } }, /\/tenants\/acme\/egress\/relayAddress/],
  ['four upstream resolvers', { tenants: { acme: { egress: { ...EGRESS_TENANT, upstreamDns: ['10.0.0.1', '10.0.0.2', '10.0.0.3', '10.0.0.4'] } } } }, /\/tenants\/acme\/egress\/upstreamDns/],
  ['an upstream resolver by name', { tenants: { acme: { egress: { ...EGRESS_TENANT, upstreamDns: ['dns.example.com'] } } } }, /\/tenants\/acme\/egress\/upstreamDns\/0/],
  ['an empty sidecar command', { tenants: { acme: { egress: { ...EGRESS_TENANT, command: [] } } } }, /\/tenants\/acme\/egress\/command/],
  ['an unknown tenant egress key', { tenants: { acme: { egress: { ...EGRESS_TENANT, port: 8445 } } } }, /\/tenants\/acme\/egress/],

  ['a NodePort Service', { service: { type: 'NodePort' } }, /\/service\/type/],
  ['a tenant without clusterIds', { tenants: { acme: { clusterIds: [] } } }, /\/tenants\/acme\/clusterIds/],
  ['an upper-case tenant id', { tenants: { Acme: { region: 'cn-hangzhou', vSwitchId: 'v', securityGroupId: 's', clusterIds: ['c'] } } }, /\/tenants.*Acme/s],
  ['an unknown tenant field', { tenants: { acme: { vswitch: 'x' } } }, /\/tenants\/acme/],
  ['an unknown limit', { limits: { maxPodsPerSecond: 5 } }, /\/limits/],
  ['a zero limit', { limits: { burst: 0 } }, /\/limits\/burst/],
  ['a cluster id that is not a DNS label', { tenants: { acme: { clusterIds: ['dc/1'] } } }, /\/tenants\/acme\/clusterIds\/0/],
  ['an identity grant without clusterIds', { certificateIdentities: { 'agent-x': { tenant: 'acme' } } }, /\/certificateIdentities\/agent-x/],
  ['a token grant with an unknown field', { tokens: { hashes: { [tokenHash]: { tenant: 'acme', clusterIds: ['onprem-1'], admin: true } } } }, /\/tokens\/hashes/],
  ['a fractional session cap', { limits: { maxSessionsPerAgent: 2.5 } }, /\/limits\/maxSessionsPerAgent/],
  ['a fractional Service connection cap', { limits: { maxServiceConnectionsPerAgent: 10.5 } }, /\/limits\/maxServiceConnectionsPerAgent/],
  ['a zero Service connection rate', { limits: { serviceConnectionsPerSecond: 0 } }, /\/limits\/serviceConnectionsPerSecond/],
  ['a credentialsRef of an unknown kind', { tenants: { acme: { credentialsRef: 'vault:acme' } } }, /\/tenants\/acme\/credentialsRef/],
  ['a token hash that is not sha256 hex', { tokens: { hashes: { 'plain-token': 'acme' } } }, /\/tokens\/hashes.*plain-token/s],
  ['an ECI protocol other than http/https', { eci: { protocol: 'ftp' } }, /\/eci\/protocol/],
  ['ECI credentials without a secret', { eciCredentials: { tenants: { other: { accessKeyId: 'x' } } } }, /\/eciCredentials\/tenants\/other/],
  ['a TLS cert that is not PEM', { tls: { cert: 'not a cert' } }, /\/tls\/cert/],
  ['an ECI rate for an unknown action', { tenants: { acme: { eciRates: { CreateWidget: 5 } } } }, /\/tenants\/acme\/eciRates/],
  ['a zero ECI rate', { tenants: { acme: { eciRates: { CreateContainerGroup: 0 } } } }, /\/tenants\/acme\/eciRates/],
  ['an unknown policy key', { tenants: { acme: { policy: { ramRole: ['admin'] } } } }, /\/tenants\/acme\/policy/],
  ['a RAM role wildcard', { tenants: { acme: { policy: { ramRoles: ['*'] } } } }, /\/tenants\/acme\/policy\/ramRoles\/0/],
  ['a security group that is not an ID', { tenants: { acme: { policy: { securityGroups: ['default'] } } } }, /\/tenants\/acme\/policy\/securityGroups\/0/],
  ['eip.create as a string', { tenants: { acme: { policy: { eip: { create: 'yes' } } } } }, /\/tenants\/acme\/policy\/eip\/create/],
  ['an unknown spot strategy', { tenants: { acme: { policy: { spot: { strategies: ['Cheap'] } } } } }, /\/tenants\/acme\/policy\/spot\/strategies\/0/],
  ['an unknown flexVolume driver', { tenants: { acme: { policy: { flexVolumeDrivers: ['alicloud/cpfs'] } } } }, /\/tenants\/acme\/policy\/flexVolumeDrivers\/0/],
  ['a registry given as a URL', { tenants: { acme: { policy: { imageRegistries: ['https://docker.io'] } } } }, /\/tenants\/acme\/policy\/imageRegistries\/0/],
  ['a fractional maxPods', { tenants: { acme: { quotas: { maxPods: 2.5 } } } }, /\/tenants\/acme\/quotas\/maxPods/],
  ['an unknown quota', { tenants: { acme: { quotas: { maxCpu: 10 } } } }, /\/tenants\/acme\/quotas/],
];
// Checks across values, made by the templates (each fails the render naming the value).
const refused: [string, object, RegExp][] = [
  ['an egress port that is the gRPC port', { egress: { enabled: true, port: 8443 } }, /egress\.port: 8443 is also port/],
  ['an egress port that is the data port', { egress: { enabled: true, port: 8444 } }, /egress\.port: 8444 is also dataPort/],
  ['an egress port that is the ops port', { egress: { enabled: true, port: 9096 } }, /egress\.port: 9096 is also ops\.port/],
  ['two egress CA sources', { egress: { enabled: true, ca: { existingSecret: 'a', pem: PEM } } }, /egress\.ca: set one of existingSecret, existingConfigMap and pem/],
];
for (const [what, values, message] of refused) {
  test(`the chart refuses ${what}`, async (t) => {
    const r = await template(CHART, [values]);
    t.not(r.code, 0, 'helm template must fail');
    t.regex(r.stderr, message);
  });
}
test('egress.port equal to an off dataPort is fine', async (t) => {
  t.is((await template(CHART, [{ dataPort: '', egress: { enabled: true, port: 8444 } }])).code, 0);
});

for (const [what, values, field] of rejected) {
  test(`schema rejects ${what}`, async (t) => {
    const r = await template(CHART, [values]);
    t.not(r.code, 0, 'helm template must fail');
    t.regex(r.stderr, field);
  });
}

test('the schema knows every tenant policy key and nothing else', (t) => {
  type Props = { properties: Record<string, Props> };
  const schema = JSON.parse(readFileSync(join(chartDir(CHART), 'values.schema.json'), 'utf8')) as { definitions: { tenantPolicy: Props } };
  const p = schema.definitions.tenantPolicy.properties;
  t.deepEqual(Object.keys(p).sort(), [...POLICY_KEYS].sort());
  t.deepEqual(Object.keys(p.spot.properties).sort(), [...POLICY_SPOT_KEYS].sort());
  t.deepEqual(Object.keys(p.eip.properties).sort(), [...POLICY_EIP_KEYS].sort());
});

test('the schema knows every relay limit and nothing else', (t) => {
  const schema = JSON.parse(readFileSync(join(chartDir(CHART), 'values.schema.json'), 'utf8')) as { properties: { limits: { properties: Record<string, unknown> } } };
  t.deepEqual(Object.keys(schema.properties.limits.properties).sort(), [...LIMIT_KEYS].sort());
});
