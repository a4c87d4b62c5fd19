// The tenant policy, evaluated on the request the mapping builds from a pod (table): every annotation that
// grants a privilege or exposure is denied by default and allowed when listed; the tenant's own placement is
// always allowed; caps on cost; messages name the annotation, the policy key and the fix; images on updates.
import test from 'ava';
import type { V1Pod } from '@kubernetes/client-node';
import { podToCreateRequest, podToUpdateRequest } from '../../../../cloud/eci/mapping/index.js';
import { defaultPolicy, denialMessage, evaluateCreate, evaluateUpdate, registryOf, registryAllowed, type PolicyContext, type TenantPolicy } from '../../../../cloud/eci/policy/index.js';
import { container, input, pod } from '../mapping/fixtures.js';

const K = (s: string) => `k8s.aliyun.com/${s}`;

function ctx(over: Partial<TenantPolicy> = {}): PolicyContext {
  const d = defaultPolicy();
  return {
    tenantId: 'acme',
    policy: { ...d, ...over, spot: { ...d.spot, ...over.spot }, eip: { ...d.eip, ...over.eip } },
    own: { vSwitchIds: ['vsw-aaaa1111', 'vsw-bbbb2222'], securityGroupId: 'sg-default1' },
  };
}

function requestOf(p: V1Pod) {
  const r = podToCreateRequest(input(p));
  if (!r.ok) throw new Error(JSON.stringify(r.errors));
  return r.value;
}

const withAnnotations = (annotations: Record<string, string>, spec: Partial<NonNullable<V1Pod['spec']>> = {}) => pod(spec, { annotations });

interface Row {
  name: string;
  annotations?: Record<string, string>;
  spec?: Partial<NonNullable<V1Pod['spec']>>;
  policy?: Partial<TenantPolicy>;
  /** Expected denials as [field, policyKey]; empty = allowed. */
  denied: Array<[string, string]>;
}

const rows: Row[] = [
  { name: 'a plain pod on the tenant\'s own placement', denied: [] },
  { name: 'RAM role: default deny', annotations: { [K('eci-ram-role-name')]: 'admin' }, denied: [[`metadata.annotations[${K('eci-ram-role-name')}]`, 'ramRoles']] },
  { name: 'RAM role: listed', annotations: { [K('eci-ram-role-name')]: 'reader' }, policy: { ramRoles: ['reader'] }, denied: [] },
  { name: 'RAM role: another than the listed one', annotations: { [K('eci-ram-role-name')]: 'admin' }, policy: { ramRoles: ['reader'] }, denied: [[`metadata.annotations[${K('eci-ram-role-name')}]`, 'ramRoles']] },
  { name: 'security group: the tenant\'s own', annotations: { [K('eci-security-group')]: 'sg-default1' }, denied: [] },
  { name: 'security group: another, default deny', annotations: { [K('eci-security-group')]: 'sg-other123' }, denied: [[`metadata.annotations[${K('eci-security-group')}]`, 'securityGroups']] },
  { name: 'security group: another, listed', annotations: { [K('eci-security-group')]: 'sg-other123' }, policy: { securityGroups: ['sg-other123'] }, denied: [] },
  { name: 'vSwitch: the tenant\'s own (one of its list)', annotations: { [K('eci-vswitch')]: 'vsw-bbbb2222' }, denied: [] },
  { name: 'vSwitch: one own, one other', annotations: { [K('eci-vswitch')]: 'vsw-aaaa1111,vsw-dmz00001' }, denied: [[`metadata.annotations[${K('eci-vswitch')}]`, 'vSwitches']] },
  { name: 'vSwitch: other, listed', annotations: { [K('eci-vswitch')]: 'vsw-dmz00001' }, policy: { vSwitches: ['vsw-dmz00001'] }, denied: [] },
  { name: 'resource group: default deny', annotations: { [K('eci-resource-group-id')]: 'rg-finance1' }, denied: [[`metadata.annotations[${K('eci-resource-group-id')}]`, 'resourceGroups']] },
  { name: 'resource group: listed', annotations: { [K('eci-resource-group-id')]: 'rg-finance1' }, policy: { resourceGroups: ['rg-finance1'] }, denied: [] },
  { name: 'new EIP: default deny', annotations: { [K('eci-with-eip')]: 'true' }, denied: [[`metadata.annotations[${K('eci-with-eip')}]`, 'eip.create']] },
  { name: 'new EIP: allowed', annotations: { [K('eci-with-eip')]: 'true' }, policy: { eip: { create: true } as TenantPolicy['eip'] }, denied: [] },
  { name: 'new EIP: bandwidth over the cap', annotations: { [K('eci-with-eip')]: 'true', [K('eip-bandwidth')]: '100' }, policy: { eip: { create: true, maxBandwidthMbps: 10 } as TenantPolicy['eip'] }, denied: [[`metadata.annotations[${K('eip-bandwidth')}]`, 'eip.maxBandwidthMbps']] },
  { name: 'new EIP: ECI\'s default bandwidth (5) over a cap of 2', annotations: { [K('eci-with-eip')]: 'true' }, policy: { eip: { create: true, maxBandwidthMbps: 2 } as TenantPolicy['eip'] }, denied: [[`metadata.annotations[${K('eip-bandwidth')}]`, 'eip.maxBandwidthMbps']] },
  { name: 'new EIP: BGP_PRO not among the ISPs', annotations: { [K('eci-with-eip')]: 'true', [K('eip-isp')]: 'BGP_PRO' }, policy: { eip: { create: true } as TenantPolicy['eip'] }, denied: [[`metadata.annotations[${K('eip-isp')}]`, 'eip.isps']] },
  { name: 'existing EIP: default deny', annotations: { [K('eci-eip-instanceid')]: 'eip-prod0001' }, denied: [[`metadata.annotations[${K('eci-eip-instanceid')}]`, 'eip.instanceIds']] },
  { name: 'existing EIP: listed', annotations: { [K('eci-eip-instanceid')]: 'eip-prod0001' }, policy: { eip: { instanceIds: ['eip-prod0001'] } as TenantPolicy['eip'] }, denied: [] },
  { name: 'shared bandwidth package: default deny', annotations: { [K('eci-with-eip')]: 'true', [K('eip-common-bandwidth-package')]: 'cbwp-shared01' }, policy: { eip: { create: true } as TenantPolicy['eip'] }, denied: [[`metadata.annotations[${K('eip-common-bandwidth-package')}]`, 'eip.commonBandwidthPackages']] },
  { name: 'data cache bucket: default deny', annotations: { [K('eci-data-cache-bucket')]: 'models' }, denied: [[`metadata.annotations[${K('eci-data-cache-bucket')}]`, 'dataCacheBuckets']] },
  { name: 'data cache bucket: listed', annotations: { [K('eci-data-cache-bucket')]: 'models' }, policy: { dataCacheBuckets: ['models'] }, denied: [] },
  { name: 'image cache pinned: default deny (named by the annotation used)', annotations: { [K('eci-image-snapshot-id')]: 'imc-team0001' }, denied: [[`metadata.annotations[${K('eci-image-snapshot-id')}]`, 'imageCaches']] },
  { name: 'image cache pinned: listed', annotations: { [K('eci-imc-id')]: 'imc-team0001' }, policy: { imageCaches: ['imc-team0001'] }, denied: [] },
  { name: 'automatic image cache matching: allowed', annotations: { [K('eci-auto-imc')]: 'true' }, denied: [] },
  { name: 'ACR EE instances: default deny', annotations: { [K('acr-instance-ids')]: 'cri-aaaa,cri-bbbb' }, policy: { acrInstances: ['cri-aaaa'] }, denied: [[`metadata.annotations[${K('acr-instance-ids')}]`, 'acrInstances']] },
  { name: 'flexVolume disk: default deny', spec: { volumes: [{ name: 'data', flexVolume: { driver: 'alicloud/disk', options: { volumeId: 'd-123' } } }] }, denied: [['spec.volumes[data].flexVolume.driver', 'flexVolumeDrivers']] },
  { name: 'flexVolume nas: listed', spec: { volumes: [{ name: 'data', flexVolume: { driver: 'alicloud/nas', options: { server: 'x.nas.aliyuncs.com', path: '/' } } }] }, policy: { flexVolumeDrivers: ['alicloud/nas'] }, denied: [] },
  { name: 'spot: allowed by default', annotations: { [K('eci-spot-strategy')]: 'SpotAsPriceGo' }, denied: [] },
  { name: 'spot: strategy not listed', annotations: { [K('eci-spot-strategy')]: 'SpotAsPriceGo' }, policy: { spot: { strategies: ['SpotWithPriceLimit'] } }, denied: [[`metadata.annotations[${K('eci-spot-strategy')}]`, 'spot.strategies']] },
  { name: 'spot: price over the cap', annotations: { [K('eci-spot-strategy')]: 'SpotWithPriceLimit', [K('eci-spot-price-limit')]: '0.9' }, policy: { spot: { strategies: ['SpotWithPriceLimit'], maxPriceLimit: 0.5 } }, denied: [[`metadata.annotations[${K('eci-spot-price-limit')}]`, 'spot.maxPriceLimit']] },
  { name: 'spot: price under the cap', annotations: { [K('eci-spot-strategy')]: 'SpotWithPriceLimit', [K('eci-spot-price-limit')]: '0.25' }, policy: { spot: { strategies: ['SpotWithPriceLimit'], maxPriceLimit: 0.5 } }, denied: [] },
  { name: 'instance types: any by default', annotations: { [K('eci-use-specs')]: 'ecs.gn6i-c4g1.xlarge' }, denied: [] },
  { name: 'instance types: pattern allows', annotations: { [K('eci-use-specs')]: '2-4Gi,ecs.c6.large' }, policy: { instanceTypes: ['2-4Gi', 'ecs.c6.*'] }, denied: [] },
  { name: 'instance types: GPU type not listed', annotations: { [K('eci-use-specs')]: 'ecs.gn6i-c4g1.xlarge' }, policy: { instanceTypes: ['ecs.c6.*'] }, denied: [[`metadata.annotations[${K('eci-use-specs')}]`, 'instanceTypes']] },
  { name: 'size: a spec over maxPodCpu', annotations: { [K('eci-use-specs')]: '8-16Gi' }, policy: { maxPodCpu: 4 }, denied: [[`metadata.annotations[${K('eci-use-specs')}]`, 'maxPodCpu']] },
  { name: 'size: an ECS type under a cap must be listed', annotations: { [K('eci-use-specs')]: 'ecs.c6.large' }, policy: { maxPodCpu: 4 }, denied: [[`metadata.annotations[${K('eci-use-specs')}]`, 'instanceTypes']] },
  { name: 'size: containers\' resources over maxPodMemoryGiB', spec: { containers: [container({ resources: { requests: { cpu: '2', memory: '16Gi' } } })] }, policy: { maxPodMemoryGiB: 8 }, denied: [['spec.containers[].resources', 'maxPodMemoryGiB']] },
  { name: 'size: no resources means ECI\'s 2 vCPU default, over a cap of 1', policy: { maxPodCpu: 1 }, denied: [['spec.containers[].resources', 'maxPodCpu']] },
  { name: 'ephemeral storage over the cap', annotations: { [K('eci-extra-ephemeral-storage')]: '200Gi' }, policy: { maxEphemeralStorageGiB: 100 }, denied: [[`metadata.annotations[${K('eci-extra-ephemeral-storage')}]`, 'maxEphemeralStorageGiB']] },
  { name: 'image registry: not listed', spec: { containers: [container({ image: 'evil.example.net/miner:1' })] }, policy: { imageRegistries: ['*.aliyuncs.com'] }, denied: [['spec.containers[0].image', 'imageRegistries']] },
  { name: 'image registry: Docker Hub by short name, listed', spec: { containers: [container({ image: 'nginx:1.27' })], initContainers: [container({ name: 'init', image: 'registry.cn-hangzhou.aliyuncs.com/x/y:1' })] }, policy: { imageRegistries: ['docker.io', '*.aliyuncs.com'] }, denied: [] },
  { name: 'image registry: an insecure registry not listed', annotations: { [K('insecure-registry')]: 'harbor.lan:5000' }, policy: { imageRegistries: ['docker.io'] }, denied: [[`metadata.annotations[${K('insecure-registry')}]`, 'imageRegistries']] },
  { name: 'harmless annotations are allowed', annotations: { [K('eci-core-pattern')]: '/data/core', [K('eci-ntp-server')]: 'ntp.aliyun.com', [K('ingress-bandwidth')]: '40M', [K('eci-schedule-strategy')]: 'VSwitchRandom', [K('eci-container-resource-view')]: 'true' }, denied: [] },
  {
    name: 'every denial at once',
    annotations: { [K('eci-ram-role-name')]: 'admin', [K('eci-with-eip')]: 'true', [K('eci-security-group')]: 'sg-other123' },
    denied: [[`metadata.annotations[${K('eci-security-group')}]`, 'securityGroups'], [`metadata.annotations[${K('eci-ram-role-name')}]`, 'ramRoles'], [`metadata.annotations[${K('eci-with-eip')}]`, 'eip.create']],
  },
];

for (const row of rows) {
  test(`policy: ${row.name}`, (t) => {
    const p = withAnnotations(row.annotations ?? {}, row.spec);
    const denials = evaluateCreate(ctx(row.policy), requestOf(p), p.metadata?.annotations);
    t.deepEqual(denials.map((d) => [d.field, d.policyKey]), row.denied, denialMessage(denials));
    for (const d of denials) t.true(d.message.includes(`tenants.acme.policy.${d.policyKey}`), d.message);
  });
}

test('the message names the annotation with its value, the policy key, what is allowed and the fix', (t) => {
  const p = withAnnotations({ [K('eci-ram-role-name')]: 'admin' });
  const [d] = evaluateCreate(ctx(), requestOf(p), p.metadata?.annotations);
  t.is(d.message, 'annotation k8s.aliyun.com/eci-ram-role-name="admin" is not allowed by tenant "acme" policy ramRoles (allowed: none); ask the cloud account owner to add it to tenants.acme.policy.ramRoles');
  const sg = withAnnotations({ [K('eci-security-group')]: 'sg-other123' });
  t.regex(evaluateCreate(ctx({ securityGroups: ['sg-dmz00001'] }), requestOf(sg), sg.metadata?.annotations)[0].message, /allowed: sg-default1 \(the tenant's own\), sg-dmz00001\)/);
  const eip = withAnnotations({ [K('eci-with-eip')]: 'true' });
  t.regex(evaluateCreate(ctx(), requestOf(eip), eip.metadata?.annotations)[0].message, /eci-with-eip="true" is not allowed by tenant "acme" policy eip\.create \(false\); remove it, or ask the cloud account owner to set tenants\.acme\.policy\.eip\.create: true/);
});

test('what the pod author wrote is echoed JSON-quoted and bounded', (t) => {
  const long = `evil.example.net/${'a'.repeat(5000)}\n:1`;
  const [d] = evaluateCreate(ctx({ imageRegistries: ['docker.io'] }), requestOf(pod({ containers: [container({ image: long })] })), {});
  t.true(d.message.length < 600, `${d.message.length} characters`);
  t.false(d.message.includes('\n'), 'control characters are escaped');
  t.regex(d.message, /image "evil\.example\.net\/a+…" of containers "app" \(registry "evil\.example\.net"\)/);
});

test('the request, not the annotation, decides: a field set without an annotation is still checked', (t) => {
  const r = requestOf(pod());
  r.ramRoleName = 'admin';
  r.autoCreateEip = true;
  t.deepEqual(evaluateCreate(ctx(), r, {}).map((d) => d.policyKey), ['ramRoles', 'eip.create']);
});

test('an update is checked for its images', (t) => {
  const p = pod({ containers: [container({ image: 'evil.example.net/miner:1' })] });
  const u = podToUpdateRequest(input(p), 'eci-123');
  if (!u.ok) return t.fail();
  t.deepEqual(evaluateUpdate(ctx({ imageRegistries: ['docker.io'] }), u.value).map((d) => [d.field, d.policyKey]), [['spec.containers[0].image', 'imageRegistries']]);
  t.deepEqual(evaluateUpdate(ctx(), u.value), [], 'no registry list: any');
});

test('registry of an image reference (Docker normalisation) and registry patterns', (t) => {
  const cases: Array<[string, string]> = [
    ['nginx', 'docker.io'], ['library/nginx:1', 'docker.io'], ['team/app@sha256:abc', 'docker.io'], ['localhost/app', 'localhost'],
    ['harbor.lan:5000/a/b:1', 'harbor.lan:5000'], ['Registry.CN-hangzhou.aliyuncs.com/ns/app', 'registry.cn-hangzhou.aliyuncs.com'], ['host:5000/x', 'host:5000'],
  ];
  for (const [image, registry] of cases) t.is(registryOf(image), registry, image);
  t.true(registryAllowed('registry.cn-hangzhou.aliyuncs.com', ['*.aliyuncs.com']));
  t.false(registryAllowed('aliyuncs.com.evil.net', ['*.aliyuncs.com']));
  t.false(registryAllowed('evilaliyuncs.com', ['*.aliyuncs.com']));
  t.true(registryAllowed('harbor.lan:5000', ['harbor.lan:5000']));
  t.false(registryAllowed('harbor.lan:5001', ['harbor.lan:5000']));
  t.true(registryAllowed('anything.io', ['*']));
});
