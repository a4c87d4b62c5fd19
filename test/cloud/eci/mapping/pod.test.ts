import test from 'ava';
import * as OpenApiUtilModule from '@alicloud/openapi-util';
import * as TeaUtilModule from '@alicloud/tea-util';
import * as $Eci from '@alicloud/eci20180808';
import { podToCreateRequest, podToUpdateRequest, diffUpdatable } from '../../../../cloud/eci/mapping/pod.js';
import { TAG_CLUSTER_ID, TAG_NAMESPACE, TAG_POD_NAME, TAG_POD_UID } from '../../../../cloud/eci/mapping/names.js';
import { pod, container, input, mustOk, mustReject, tenant } from './fixtures.js';

// The SDK helpers are CommonJS with a default export holding the class.
type Flatten = { query(m: Record<string, unknown>): Record<string, string> };
type ToMap = { toMap(m: unknown): Record<string, unknown> };
const unwrap = <T>(m: unknown): T => { const d = (m as { default: { default?: T } & T }).default; return (d.default ?? d); };
const OpenApiUtil = unwrap<Flatten>(OpenApiUtilModule);
const Util = unwrap<ToMap>(TeaUtilModule);

test('identity: name, client token, region/zone/vswitch/security group from the tenant, tags with fixed keys', (t) => {
  const { value } = mustOk(t, podToCreateRequest(input(pod({}, { labels: { app: 'web' } }), {}, { tags: { costcenter: 'retail' }, resourceGroupId: 'rg-tenant1' })));
  t.true(value instanceof $Eci.CreateContainerGroupRequest);
  t.is(value.containerGroupName, 'shop-web-0');
  t.is(value.clientToken, '0b1c2d3e-aaaa-bbbb-cccc-000000000001');
  t.is(value.regionId, 'cn-hangzhou');
  t.is(value.zoneId, 'cn-hangzhou-k');
  t.is(value.vSwitchId, 'vsw-aaaa1111,vsw-bbbb2222');
  t.is(value.securityGroupId, 'sg-default1');
  t.is(value.resourceGroupId, 'rg-tenant1');
  t.is(value.restartPolicy, 'Always');
  t.deepEqual(value.tag!.map((x) => [x.key, x.value]), [
    [TAG_CLUSTER_ID, 'onprem-1'], [TAG_NAMESPACE, 'shop'], [TAG_POD_NAME, 'web-0'], [TAG_POD_UID, '0b1c2d3e-aaaa-bbbb-cccc-000000000001'],
    ['costcenter', 'retail'], ['app', 'web'],
  ]);
  const again = mustOk(t, podToCreateRequest({ ...input(pod()), attempt: 2 }));
  t.is(again.value.clientToken, '0b1c2d3e-aaaa-bbbb-cccc-000000000001-2');
});

test('annotations override tenant placement and fill ECI settings', (t) => {
  const { value } = mustOk(t, podToCreateRequest(input(pod({}, { annotations: {
    'k8s.aliyun.com/eci-vswitch': 'vsw-override1', 'k8s.aliyun.com/eci-security-group': 'sg-override1', 'k8s.aliyun.com/eci-resource-group-id': 'rg-override1',
    'k8s.aliyun.com/eci-spot-strategy': 'SpotWithPriceLimit', 'k8s.aliyun.com/eci-spot-price-limit': '0.5', 'k8s.aliyun.com/eci-spot-duration': '0',
    'k8s.aliyun.com/eci-with-eip': 'true', 'k8s.aliyun.com/eip-bandwidth': '10', 'k8s.aliyun.com/eci-ram-role-name': 'role1',
    'k8s.aliyun.com/eci-extra-ephemeral-storage': '20Gi', 'k8s.aliyun.com/eci-auto-imc': 'false', 'k8s.aliyun.com/eci-schedule-strategy': 'VSwitchOrdered',
    'k8s.aliyun.com/eci-use-specs': '2-4Gi,4-8Gi',
  } }), {}, { resourceGroupId: 'rg-tenant1' })));
  t.like(value, {
    vSwitchId: 'vsw-override1', zoneId: undefined, securityGroupId: 'sg-override1', resourceGroupId: 'rg-override1',
    spotStrategy: 'SpotWithPriceLimit', spotPriceLimit: 0.5, spotDuration: 0, autoCreateEip: true, eipBandwidth: 10,
    ramRoleName: 'role1', ephemeralStorage: 20, autoMatchImageCache: false, scheduleStrategy: 'VSwitchOrdered',
    instanceType: '2-4Gi,4-8Gi', cpu: undefined, memory: undefined,
  });
  const img = mustOk(t, podToCreateRequest(input(pod({}, { annotations: { 'k8s.aliyun.com/eci-imc-id': 'imc-abcdef12' } }), {}, { defaults: { autoMatchImageCache: true } })));
  t.is(img.value.imageSnapshotId, 'imc-abcdef12');
  t.is(img.value.autoMatchImageCache, undefined, 'a pinned image cache does not also auto-match');
  const dflt = mustOk(t, podToCreateRequest(input(pod(), {}, { defaults: { autoMatchImageCache: true } })));
  t.true(dflt.value.autoMatchImageCache);
  mustReject(t, podToCreateRequest(input(pod({}, { annotations: { 'k8s.aliyun.com/eci-vswitch': 'nope' } }))), 'metadata.annotations[k8s.aliyun.com/eci-vswitch]', ['k8s.aliyun.com/eci-vswitch']);
});

const SPECS: Array<[string, Array<Record<string, string>>, Array<Record<string, string>>, { cpu?: number; memory?: number }, boolean]> = [
  ['no resources: ECI default', [{}], [], { cpu: undefined, memory: undefined }, false],
  ['exact spec', [{ cpu: '1', memory: '2Gi' }], [], { cpu: 1, memory: 2 }, false],
  ['sum rounds up', [{ cpu: '300m', memory: '300Mi' }, { cpu: '300m', memory: '300Mi' }], [], { cpu: 1, memory: 2 }, true],
  ['init container dominates', [{ cpu: '250m', memory: '512Mi' }], [{ cpu: '2', memory: '3Gi' }], { cpu: 2, memory: 4 }, true],
  ['7 vCPU 13 GiB -> 8/16', [{ cpu: '7', memory: '13Gi' }], [], { cpu: 8, memory: 16 }, true],
  ['cpu only', [{ cpu: '4' }], [], { cpu: 4, memory: 2 }, true],
];
for (const [name, cs, ics, want, warned] of SPECS) {
  test(`group spec: ${name}`, (t) => {
    const p = pod({
      containers: cs.map((r, i) => container({ name: `c${i}`, resources: Object.keys(r).length ? { limits: r } : undefined })),
      initContainers: ics.length ? ics.map((r, i) => container({ name: `i${i}`, resources: { requests: r } })) : undefined,
    });
    const { value, warnings } = mustOk(t, podToCreateRequest(input(p)));
    t.is(value.cpu, want.cpu);
    t.is(value.memory, want.memory);
    t.is(warnings.some((w) => w.includes('rounded up')), warned);
  });
}

test('group spec: tenant default applies when nothing is declared; oversize pods rejected', (t) => {
  const d = mustOk(t, podToCreateRequest(input(pod(), {}, { defaults: { cpu: 1, memory: 2 } })));
  t.deepEqual([d.value.cpu, d.value.memory], [1, 2]);
  mustReject(t, podToCreateRequest(input(pod({ containers: [container({ resources: { limits: { cpu: '100', memory: '1Gi' } } })] }))), 'spec.containers[].resources', ['largest ECI spec', 'eci-use-specs']);
});

test('pod-level fields: restartPolicy, hostname, hostAliases, grace, deadline, shareProcessNamespace, sysctls, pull credentials', (t) => {
  const p = pod({
    restartPolicy: 'OnFailure', hostname: 'web', hostAliases: [{ ip: '10.0.0.1', hostnames: ['a.local', 'b.local'] }],
    terminationGracePeriodSeconds: 45, activeDeadlineSeconds: 600, shareProcessNamespace: true,
    securityContext: { sysctls: [{ name: 'net.core.somaxconn', value: '1024' }, { name: 'kernel.shm_rmid_forced', value: '1' }] },
    imagePullSecrets: [{ name: 'regcred' }],
  });
  const { value } = mustOk(t, podToCreateRequest(input(p, { imagePullCredentials: [{ server: 'registry.example.com', username: 'u', password: 'p' }] })));
  t.like(value, { restartPolicy: 'OnFailure', hostName: 'web', terminationGracePeriodSeconds: 45, activeDeadlineSeconds: 600, shareProcessNamespace: true });
  t.deepEqual(value.hostAliase!.map((h) => [h.ip, h.hostname]), [['10.0.0.1', ['a.local', 'b.local']]]);
  t.deepEqual(value.securityContext!.sysctl!.map((s) => [s.name, s.value]), [['net.core.somaxconn', '1024'], ['kernel.shm_rmid_forced', '1']]);
  t.deepEqual(value.imageRegistryCredential!.map((c) => [c.server, c.userName, c.password]), [['registry.example.com', 'u', 'p']]);
  const noCreds = mustOk(t, podToCreateRequest(input(pod({ imagePullSecrets: [{ name: 'regcred' }] }))));
  t.true(noCreds.warnings.some((w) => w.includes('imagePullSecrets')));
});

const DNS: Array<[string, Parameters<typeof pod>[0], Parameters<typeof input>[2], { policy?: string; ns?: string[]; search?: string[]; warn?: boolean }]> = [
  ['ClusterFirst without cluster DNS -> Default + warning', {}, {}, { policy: 'Default', warn: true }],
  ['ClusterFirst with cluster DNS -> None + k8s search path', { dnsConfig: { searches: ['corp.local'], options: [{ name: 'ndots', value: '2' }] } }, { defaults: { clusterDns: { nameservers: ['10.96.0.10'] } } },
    { policy: 'None', ns: ['10.96.0.10'], search: ['shop.svc.cluster.local', 'svc.cluster.local', 'cluster.local', 'corp.local'] }],
  ['Default keeps dnsConfig', { dnsPolicy: 'Default', dnsConfig: { nameservers: ['1.1.1.1'] } }, {}, { policy: 'Default', ns: ['1.1.1.1'] }],
  ['None uses dnsConfig', { dnsPolicy: 'None', dnsConfig: { nameservers: ['8.8.8.8'], searches: ['x'] } }, {}, { policy: 'None', ns: ['8.8.8.8'], search: ['x'] }],
];
for (const [name, spec, ten, want] of DNS) {
  test(`dns: ${name}`, (t) => {
    const { value, warnings } = mustOk(t, podToCreateRequest(input(pod(spec), {}, ten)));
    t.is(value.dnsPolicy, want.policy);
    if (want.ns) t.deepEqual(value.dnsConfig!.nameServer, want.ns);
    if (want.search) t.deepEqual(value.dnsConfig!.search, want.search);
    t.is(warnings.some((w) => w.includes('dnsPolicy')), !!want.warn);
  });
}

test('dns: ClusterFirst with cluster DNS keeps the user ndots over the default 5', (t) => {
  const { value } = mustOk(t, podToCreateRequest(input(pod({ dnsConfig: { options: [{ name: 'ndots', value: '2' }, { name: 'edns0' }] } }), {}, { defaults: { clusterDns: { nameservers: ['10.96.0.10'], clusterDomain: 'corp.k8s' } } })));
  t.deepEqual(value.dnsConfig!.option!.map((o) => [o.name, o.value]), [['ndots', '2'], ['edns0', undefined]]);
  t.is(value.dnsConfig!.search![0], 'shop.svc.corp.k8s');
});

const POD_REJECTIONS: Array<[string, Parameters<typeof pod>[0], string, string[]]> = [
  ['hostNetwork', { hostNetwork: true }, 'spec.hostNetwork', ['own network']],
  ['hostPID', { hostPID: true }, 'spec.hostPID', ['shareProcessNamespace']],
  ['hostIPC', { hostIPC: true }, 'spec.hostIPC', ['IPC']],
  ['ephemeralContainers', { ephemeralContainers: [{ name: 'dbg', image: 'busybox' }] }, 'spec.ephemeralContainers', ['kubectl exec']],
  ['windows', { os: { name: 'windows' } }, 'spec.os.name', ['linux']],
  ['resourceClaims', { resourceClaims: [{ name: 'gpu' }] }, 'spec.resourceClaims', ['nvidia.com/gpu']],
  ['bad restartPolicy', { restartPolicy: 'Sometimes' }, 'spec.restartPolicy', ['OnFailure']],
  ['dnsPolicy None without nameservers', { dnsPolicy: 'None' }, 'spec.dnsConfig.nameservers', ['nameserver']],
  ['unknown dnsPolicy', { dnsPolicy: 'Weird' }, 'spec.dnsPolicy', ['ClusterFirst']],
  ['unsafe sysctl', { securityContext: { sysctls: [{ name: 'vm.swappiness', value: '1' }] } }, 'spec.securityContext.sysctls[0]', ['vm.swappiness', 'net.*']],
  ['no containers', { containers: [] }, 'spec.containers', ['at least one']],
  ['too many containers', { containers: Array.from({ length: 21 }, (_, i) => container({ name: `c${i}` })) }, 'spec.containers', ['20']],
];
for (const [name, spec, field, mentions] of POD_REJECTIONS) {
  test(`pod rejected: ${name}`, (t) => { mustReject(t, podToCreateRequest(input(pod(spec))), field, mentions); });
}

test('missing uid and tenant region are errors; all problems are reported at once', (t) => {
  const r = podToCreateRequest(input(pod({ hostNetwork: true, hostPID: true }, { uid: undefined }), {}, { regionId: '' }));
  t.false(r.ok);
  if (!r.ok) t.deepEqual(r.errors.map((e) => e.field).sort(), ['metadata.uid', 'spec.hostNetwork', 'spec.hostPID', 'tenant.regionId']);
});

test('scheduling-only and on-prem-only fields are ignored without errors or warnings', (t) => {
  const { warnings } = mustOk(t, podToCreateRequest(input(pod({
    nodeSelector: { 'type': 'virtual-kubelet' }, nodeName: 'eci-node', tolerations: [{ key: 'virtual-kubelet.io/provider', operator: 'Exists' }],
    affinity: { nodeAffinity: {} }, priority: 1000, priorityClassName: 'high', schedulerName: 'custom', serviceAccountName: 'sa',
    automountServiceAccountToken: false, enableServiceLinks: false, topologySpreadConstraints: [], preemptionPolicy: 'Never',
  }))));
  t.deepEqual(warnings.filter((w) => !w.includes('dnsPolicy')), []);
});

test('degraded pod-level fields warn: fsGroup, runtimeClassName, readinessGates, subdomain, hostUsers', (t) => {
  const { warnings } = mustOk(t, podToCreateRequest(input(pod({ securityContext: { fsGroup: 2000 }, runtimeClassName: 'kata', readinessGates: [{ conditionType: 'x' }], subdomain: 's', hostUsers: false }))));
  for (const w of ['fsGroup', 'runtimeClassName', 'readinessGates', 'subdomain', 'hostUsers']) t.true(warnings.some((x) => x.includes(w)), w);
});

test('the mapped request flattens through the SDK query serialisation with the expected wire keys', (t) => {
  const p = pod({
    containers: [container({
      command: ['/bin/sh'], args: ['-c', 'run'], env: [{ name: 'A', value: 'x y=z&' }, { name: 'IP', valueFrom: { fieldRef: { fieldPath: 'status.podIP' } } }],
      ports: [{ containerPort: 80 }], volumeMounts: [{ name: 'cfg', mountPath: '/etc/app', readOnly: true }],
      readinessProbe: { httpGet: { path: '/', port: 80 } }, securityContext: { capabilities: { add: ['NET_ADMIN'] } },
      lifecycle: { preStop: { exec: { command: ['sleep', '5'] } } }, resources: { limits: { cpu: '500m', memory: '1Gi' } },
    })],
    volumes: [{ name: 'cfg', configMap: { name: 'c' } }, { name: 'share', nfs: { server: 'nas', path: '/' } }],
    hostAliases: [{ ip: '1.2.3.4', hostnames: ['a.local', 'b.local'] }],
    dnsPolicy: 'None', dnsConfig: { nameservers: ['1.1.1.1'], options: [{ name: 'ndots', value: '2' }] },
    securityContext: { sysctls: [{ name: 'net.core.somaxconn', value: '1024' }] },
  });
  const { value } = mustOk(t, podToCreateRequest(input(p, { volumes: { cfg: [{ path: 'app.conf', content: Buffer.from('k=v') }] }, imagePullCredentials: [{ server: 'reg.io', username: 'u', password: 'p' }] })));
  const q = OpenApiUtil.query(Util.toMap(value));
  t.like(q, {
    RegionId: 'cn-hangzhou', ContainerGroupName: 'shop-web-0', RestartPolicy: 'Always', Cpu: '0.5', Memory: '1',
    VSwitchId: 'vsw-aaaa1111,vsw-bbbb2222', SecurityGroupId: 'sg-default1', ZoneId: 'cn-hangzhou-k',
    'Container.1.Name': 'app', 'Container.1.Image': 'nginx:1.27', 'Container.1.Command.1': '/bin/sh', 'Container.1.Arg.2': 'run',
    'Container.1.EnvironmentVar.1.Key': 'A', 'Container.1.EnvironmentVar.1.Value': 'x y=z&',
    'Container.1.EnvironmentVar.2.Key': 'IP', 'Container.1.EnvironmentVar.2.FieldRef.FieldPath': 'status.podIP',
    'Container.1.Port.1.Port': '80', 'Container.1.Port.1.Protocol': 'TCP',
    'Container.1.VolumeMount.1.Name': 'cfg', 'Container.1.VolumeMount.1.ReadOnly': 'true',
    'Container.1.ReadinessProbe.HttpGet.Port': '80', 'Container.1.SecurityContext.Capability.Add.1': 'NET_ADMIN',
    'Container.1.LifecyclePreStopHandlerExec.2': '5', 'Container.1.Cpu': '0.5',
    'Volume.1.Name': 'cfg', 'Volume.1.Type': 'ConfigFileVolume', 'Volume.1.ConfigFileVolume.ConfigFileToPath.1.Path': 'app.conf',
    'Volume.1.ConfigFileVolume.ConfigFileToPath.1.Content': Buffer.from('k=v').toString('base64'),
    'Volume.2.Type': 'NFSVolume', 'Volume.2.NFSVolume.Server': 'nas',
    'HostAliase.1.Ip': '1.2.3.4', 'HostAliase.1.Hostname.2': 'b.local',
    'DnsConfig.NameServer.1': '1.1.1.1', 'DnsConfig.Option.1.Name': 'ndots', DnsPolicy: 'None',
    'SecurityContext.Sysctl.1.Name': 'net.core.somaxconn',
    'ImageRegistryCredential.1.Server': 'reg.io', 'ImageRegistryCredential.1.UserName': 'u',
    'Tag.1.Key': TAG_CLUSTER_ID, 'Tag.4.Key': TAG_POD_UID,
  });
  t.false(Object.keys(q).some((k) => k.includes('undefined') || q[k] === 'undefined'), 'no undefined leaks into the query');
});

test('diffUpdatable: image changes need an update; deadline changes are flagged for local enforcement', (t) => {
  const a = pod({ initContainers: [container({ name: 'i', image: 'busybox:1' })] });
  const b = pod({ containers: [container({ image: 'nginx:1.28' })], initContainers: [container({ name: 'i', image: 'busybox:1' })], activeDeadlineSeconds: 30 });
  const d = diffUpdatable(a, b);
  t.true(d.updateNeeded);
  t.deepEqual(d.imageChanges, [{ kind: 'containers', name: 'app', from: 'nginx:1.27', to: 'nginx:1.28' }]);
  t.true(d.activeDeadlineChanged);
  const same = diffUpdatable(a, structuredClone(a));
  t.false(same.updateNeeded);
  t.false(same.activeDeadlineChanged);
  const onlyDeadline = diffUpdatable(a, pod({ initContainers: [container({ name: 'i', image: 'busybox:1' })], activeDeadlineSeconds: 5 }));
  t.false(onlyDeadline.updateNeeded);
  t.true(onlyDeadline.activeDeadlineChanged);
});

test('podToUpdateRequest: IncrementalUpdate with full container lists and an idempotent client token', (t) => {
  const p = pod({
    containers: [container({ image: 'nginx:1.28', env: [{ name: 'A', value: '1' }], lifecycle: { postStart: { httpGet: { port: 80, httpHeaders: [{ name: 'H', value: 'v' }] } } }, readinessProbe: { tcpSocket: { port: 80 } } })],
    initContainers: [container({ name: 'i', image: 'busybox:2' })], activeDeadlineSeconds: 60,
  });
  const r = mustOk(t, podToUpdateRequest(input(p), 'eci-123'));
  const u = r.value;
  t.true(u instanceof $Eci.UpdateContainerGroupRequest);
  t.like(u, { regionId: 'cn-hangzhou', containerGroupId: 'eci-123', updateType: 'IncrementalUpdate' });
  t.is(u.container![0].image, 'nginx:1.28');
  t.is(u.container![0].environmentVar![0].key, 'A');
  t.is(u.initContainer![0].image, 'busybox:2');
  t.true(r.warnings.some((w) => w.includes('ActiveDeadlineSeconds')));
  const q = OpenApiUtil.query(Util.toMap(u));
  t.like(q, { ContainerGroupId: 'eci-123', UpdateType: 'IncrementalUpdate', 'Container.1.Image': 'nginx:1.28', 'InitContainer.1.Image': 'busybox:2', 'Container.1.LifecyclePostStartHandlerHttpGetHttpHeaders.1.Name': 'H', 'Container.1.ReadinessProbe.TcpSocket.Port': '80' });
  t.is(mustOk(t, podToUpdateRequest(input(p), 'eci-123')).value.clientToken, u.clientToken, 'same update, same token');
  t.true(u.clientToken!.length <= 64);
  const other = pod({ containers: [container({ image: 'nginx:1.29' })] });
  t.not(mustOk(t, podToUpdateRequest(input(other), 'eci-123')).value.clientToken, u.clientToken);
  mustReject(t, podToUpdateRequest(input(pod({ hostNetwork: true })), 'eci-123'), 'spec.hostNetwork');
});

test('tenant is not mutated and mapping is deterministic', (t) => {
  const before = JSON.stringify(tenant);
  const a = mustOk(t, podToCreateRequest(input(pod()))).value;
  const b = mustOk(t, podToCreateRequest(input(pod()))).value;
  t.deepEqual(OpenApiUtil.query(Util.toMap(a)), OpenApiUtil.query(Util.toMap(b)));
  t.is(JSON.stringify(tenant), before);
});

test('a pod without spec is rejected, not thrown on', (t) => {
  const r = podToCreateRequest(input({ metadata: { name: 'x', uid: 'u' } }));
  mustReject(t, r, 'spec');
});
