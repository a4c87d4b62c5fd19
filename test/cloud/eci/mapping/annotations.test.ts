import test from 'ava';
import { parseAnnotations, A } from '../../../../cloud/eci/mapping/annotations.js';
import { Issues } from '../../../../cloud/eci/mapping/types.js';

const VALID: Array<[Record<string, string>, Record<string, unknown>]> = [
  [{ [A.useSpecs]: '2-4Gi,ecs.c6.xlarge' }, { instanceType: '2-4Gi,ecs.c6.xlarge', specsOnlyCpuMem: false, gpuInstanceType: false }],
  [{ [A.useSpecs]: 'ecs.gn6i-c4g1.xlarge' }, { instanceType: 'ecs.gn6i-c4g1.xlarge', gpuInstanceType: true }],
  [{ [A.useSpecs]: '0.5-1Gi' }, { instanceType: '0.5-1Gi', specsOnlyCpuMem: true }],
  [{ [A.spotStrategy]: 'SpotAsPriceGo', [A.spotDuration]: '0' }, { spotStrategy: 'SpotAsPriceGo', spotDuration: 0 }],
  [{ [A.spotStrategy]: 'SpotWithPriceLimit', [A.spotPriceLimit]: '0.25' }, { spotStrategy: 'SpotWithPriceLimit', spotPriceLimit: 0.25 }],
  [{ [A.spotStrategy]: 'SpotAsPriceGo', [A.spotFallback]: 'true' }, { strictSpot: false }],
  [{ [A.autoImc]: 'false' }, { autoMatchImageCache: false }],
  [{ [A.imageCache]: 'true' }, { autoMatchImageCache: true }],
  [{ [A.imcId]: 'imc-2zebxkiifuyzzlhl' }, { imageSnapshotId: 'imc-2zebxkiifuyzzlhl' }],
  [{ [A.vswitch]: 'vsw-aaa111, vsw-bbb222' }, { vSwitchId: 'vsw-aaa111,vsw-bbb222' }],
  [{ [A.scheduleStrategy]: 'VSwitchRandom' }, { scheduleStrategy: 'VSwitchRandom' }],
  [{ [A.securityGroup]: 'sg-abc123' }, { securityGroupId: 'sg-abc123' }],
  [{ [A.withEip]: 'true', [A.eipBandwidth]: '5', [A.eipIsp]: 'BGP' }, { autoCreateEip: true, eipBandwidth: 5, eipISP: 'BGP' }],
  [{ [A.eipInstanceId]: 'eip-abcd1234' }, { eipInstanceId: 'eip-abcd1234' }],
  [{ [A.ramRoleName]: 'eci-role' }, { ramRoleName: 'eci-role' }],
  [{ [A.extraEphemeralStorage]: '50Gi' }, { ephemeralStorage: 50 }],
  [{ [A.extraEphemeralStorage]: '1500Mi' }, { ephemeralStorage: 2 }],
  [{ [A.resourceGroupId]: 'rg-acfm1234' }, { resourceGroupId: 'rg-acfm1234' }],
  [{ [A.corePattern]: '/data/core' }, { corePattern: '/data/core' }],
  [{ [A.ntpServer]: '100.100.5.1,ntp.aliyun.com' }, { ntpServer: ['100.100.5.1', 'ntp.aliyun.com'] }],
  [{ [A.ingressBandwidth]: '40M', [A.egressBandwidth]: '1G' }, { ingressBandwidth: 40e6, egressBandwidth: 1e9 }],
  [{ [A.insecureRegistry]: 'harbor.local:5000' }, { insecureRegistry: 'harbor.local:5000' }],
  [{ [A.acrInstanceIds]: 'cri-abc123' }, { acrInstanceIds: ['cri-abc123'] }],
  [{ [A.containerResourceView]: 'true' }, { containerResourceView: true }],
];
for (const [ann, want] of VALID) {
  test(`annotation accepted: ${JSON.stringify(ann)}`, (t) => {
    const issues = new Issues();
    const out = parseAnnotations(ann, issues);
    t.deepEqual(issues.errors, []);
    for (const [k, v] of Object.entries(want)) t.deepEqual((out as Record<string, unknown>)[k], v, k);
  });
}

const INVALID: Array<[Record<string, string>, string, string]> = [
  [{ [A.useSpecs]: '3-5Gi' }, A.useSpecs, 'supported'],
  [{ [A.useSpecs]: 'big' }, A.useSpecs, 'instance type'],
  [{ [A.useSpecs]: '' }, A.useSpecs, '1 to 5'],
  [{ [A.spotStrategy]: 'Cheap' }, A.spotStrategy, 'SpotAsPriceGo'],
  [{ [A.spotStrategy]: 'SpotWithPriceLimit' }, A.spotPriceLimit, 'price'],
  [{ [A.spotPriceLimit]: '0.2' }, A.spotPriceLimit, 'SpotWithPriceLimit'],
  [{ [A.spotStrategy]: 'SpotWithPriceLimit', [A.spotPriceLimit]: '-1' }, A.spotPriceLimit, 'positive'],
  [{ [A.spotStrategy]: 'SpotAsPriceGo', [A.spotDuration]: '3' }, A.spotDuration, '0 to 1'],
  [{ [A.spotStrategy]: 'SpotAsPriceGo', [A.spotFallback]: 'yes' }, A.spotFallback, 'true'],
  [{ [A.autoImc]: 'maybe' }, A.autoImc, '"true" or "false"'],
  [{ [A.imcId]: 'cache-1' }, A.imcId, 'imc-'],
  [{ [A.imcId]: 'imc-abcd1234', [A.autoImc]: 'true' }, A.imcId, 'conflict'],
  [{ [A.vswitch]: 'subnet-1' }, A.vswitch, 'vSwitch'],
  [{ [A.scheduleStrategy]: 'Spread' }, A.scheduleStrategy, 'VSwitchOrdered'],
  [{ [A.securityGroup]: 'default' }, A.securityGroup, 'sg-'],
  [{ [A.withEip]: '1' }, A.withEip, 'true'],
  [{ [A.withEip]: 'true', [A.eipInstanceId]: 'eip-abcd1234' }, A.eipInstanceId, 'conflict'],
  [{ [A.eipBandwidth]: '0' }, A.eipBandwidth, 'whole number'],
  [{ [A.eipIsp]: 'CMCC' }, A.eipIsp, 'BGP'],
  [{ [A.ramRoleName]: 'bad role!' }, A.ramRoleName, 'RAM role'],
  [{ [A.extraEphemeralStorage]: 'lots' }, A.extraEphemeralStorage, '50Gi'],
  [{ [A.resourceGroupId]: 'prod' }, A.resourceGroupId, 'rg-'],
  [{ [A.corePattern]: 'core' }, A.corePattern, 'absolute'],
  [{ [A.ingressBandwidth]: 'fast' }, A.ingressBandwidth, '40M'],
  [{ [A.plainHttpRegistry]: 'http://x' }, A.plainHttpRegistry, 'registry hosts'],
  [{ [A.acrInstanceIds]: 'acr-1' }, A.acrInstanceIds, 'cri-'],
  [{ [A.dataCacheBucket]: 'x'.repeat(4000) }, A.dataCacheBucket, 'OSS bucket'],
  [{ [A.dataCacheBucket]: 'Models_Bucket' }, A.dataCacheBucket, 'OSS bucket'],
];
for (const [ann, key, mention] of INVALID) {
  test(`annotation rejected: ${JSON.stringify(ann)}`, (t) => {
    const issues = new Issues();
    parseAnnotations(ann, issues);
    const e = issues.errors.find((x) => x.field === `metadata.annotations[${key}]`);
    t.truthy(e, JSON.stringify(issues.errors));
    t.true(e!.reason.includes(key), 'names the annotation');
    t.true(e!.reason.includes(mention), e!.reason);
  });
}

test('unknown k8s.aliyun.com annotations warn, system-written and foreign ones are silent', (t) => {
  const issues = new Issues();
  parseAnnotations({ 'k8s.aliyun.com/eci-gpu-magic': 'x', 'k8s.aliyun.com/eci-instance-id': 'eci-1', 'example.com/x': 'y' }, issues);
  t.deepEqual(issues.errors, []);
  t.is(issues.warnings.length, 1);
  t.true(issues.warnings[0].includes('eci-gpu-magic'));
});
