// Relay config: `tenants.<id>.policy` and `quotas` parse with deny-by-default for privileges and exposure,
// accept every key, and each bad key or value is refused naming the field (a misspelt key never silently keeps a default).
import test from 'ava';
import { ConfigError, parseRelayConfig } from '../../../cloud/relay/config.js';
import { defaultPolicy } from '../../../cloud/eci/policy/index.js';

const base = (tenant: Record<string, unknown> = {}) => ({
  tenants: { acme: { region: 'cn-hangzhou', credentialsRef: 'env:ACME', vSwitchId: 'vsw-aaaa1111', securityGroupId: 'sg-aaaa1111', clusterIds: ['dc1'], ...tenant } },
  certificateIdentities: { 'agent-1': 'acme' },
});

test('no policy: every privilege and exposure denied, cost uncapped; no quotas: maxPods 100', (t) => {
  const acme = parseRelayConfig(base()).tenants.acme;
  t.deepEqual(acme.policy, defaultPolicy());
  t.deepEqual(acme.policy, {
    ramRoles: [], securityGroups: [], vSwitches: [], resourceGroups: [],
    spot: { strategies: ['SpotAsPriceGo', 'SpotWithPriceLimit'] },
    eip: { create: false, instanceIds: [], commonBandwidthPackages: [], isps: ['BGP'] },
    dataCacheBuckets: [], imageCaches: [], acrInstances: [], flexVolumeDrivers: [],
  });
  t.deepEqual(acme.quotas, { maxPods: 100 });
});

test('every policy key parses to the same shape', (t) => {
  const policy = {
    ramRoles: ['reader', 'ml.train-role'],
    securityGroups: ['sg-dmz00001'],
    vSwitches: ['vsw-dmz00001'],
    resourceGroups: ['rg-finance1'],
    instanceTypes: ['2-4Gi', 'ecs.c6.*'],
    maxPodCpu: 8,
    maxPodMemoryGiB: 32,
    maxEphemeralStorageGiB: 100,
    spot: { strategies: ['SpotWithPriceLimit'], maxPriceLimit: 0.5 },
    eip: { create: true, instanceIds: ['eip-prod0001'], commonBandwidthPackages: ['cbwp-shared01'], maxBandwidthMbps: 10, isps: ['BGP', 'BGP_PRO'] },
    dataCacheBuckets: ['models'],
    imageCaches: ['imc-team0001'],
    acrInstances: ['cri-abcd1234'],
    imageRegistries: ['*.aliyuncs.com', 'docker.io', 'harbor.lan:5000'],
    flexVolumeDrivers: ['alicloud/nas'],
  };
  const acme = parseRelayConfig(base({ policy, quotas: { maxPods: 7 } })).tenants.acme;
  t.deepEqual(acme.policy, policy);
  t.deepEqual(acme.quotas, { maxPods: 7 });
});

test('a partial policy keeps the defaults of the keys not named', (t) => {
  const acme = parseRelayConfig(base({ policy: { ramRoles: ['reader'], eip: { maxBandwidthMbps: 5 } } })).tenants.acme;
  t.deepEqual(acme.policy?.ramRoles, ['reader']);
  t.deepEqual(acme.policy?.eip, { create: false, instanceIds: [], commonBandwidthPackages: [], isps: ['BGP'], maxBandwidthMbps: 5 });
  t.deepEqual(acme.policy?.securityGroups, []);
});

const bad: Array<[string, unknown, RegExp]> = [
  ['policy', 'all', /tenants\.acme\.policy: must be a mapping/],
  ['policy', { ramRole: ['admin'] }, /tenants\.acme\.policy\.ramRole: unknown policy key \(known: ramRoles, /],
  ['policy', { ramRoles: 'admin' }, /tenants\.acme\.policy\.ramRoles: must be a list of a RAM role name/],
  ['policy', { ramRoles: ['ok', 'bad role!'] }, /tenants\.acme\.policy\.ramRoles\[1\]: "bad role!" is not a RAM role name/],
  ['policy', { ramRoles: ['*'] }, /tenants\.acme\.policy\.ramRoles\[0\]: "\*" is not a RAM role name/],
  ['policy', { securityGroups: ['default'] }, /tenants\.acme\.policy\.securityGroups\[0\]: "default" is not an ID like "sg-xxxxxxxx"/],
  ['policy', { vSwitches: ['sg-aaaa1111'] }, /tenants\.acme\.policy\.vSwitches\[0\]: .* "vsw-xxxxxxxx"/],
  ['policy', { resourceGroups: [42] }, /tenants\.acme\.policy\.resourceGroups\[0\]: 42 is not an ID like "rg-xxxxxxxx"/],
  ['policy', { instanceTypes: ['ecs c6'] }, /tenants\.acme\.policy\.instanceTypes\[0\]/],
  ['policy', { maxPodCpu: 0 }, /tenants\.acme\.policy\.maxPodCpu: must be a positive number/],
  ['policy', { maxPodMemoryGiB: '8Gi' }, /tenants\.acme\.policy\.maxPodMemoryGiB: must be a positive number/],
  ['policy', { maxEphemeralStorageGiB: 1.5 }, /tenants\.acme\.policy\.maxEphemeralStorageGiB: must be a positive whole number/],
  ['policy', { spot: { strategies: ['Cheap'] } }, /tenants\.acme\.policy\.spot\.strategies\[0\]: "Cheap" is not one of SpotAsPriceGo, SpotWithPriceLimit/],
  ['policy', { spot: { maxPrice: 1 } }, /tenants\.acme\.policy\.spot\.maxPrice: unknown policy key \(known: strategies, maxPriceLimit\)/],
  ['policy', { eip: { create: 'yes' } }, /tenants\.acme\.policy\.eip\.create: must be true or false/],
  ['policy', { eip: { maxBandwidthMbps: 1000 } }, /tenants\.acme\.policy\.eip\.maxBandwidthMbps: must be a positive whole number up to 500/],
  ['policy', { eip: { isps: ['CMCC'] } }, /tenants\.acme\.policy\.eip\.isps\[0\]: "CMCC" is not one of BGP, BGP_PRO/],
  ['policy', { eip: { instanceIds: ['1.2.3.4'] } }, /tenants\.acme\.policy\.eip\.instanceIds\[0\]/],
  ['policy', { dataCacheBuckets: ['Models_Bucket'] }, /tenants\.acme\.policy\.dataCacheBuckets\[0\]: "Models_Bucket" is not an OSS bucket name/],
  ['policy', { imageCaches: ['cache-1'] }, /tenants\.acme\.policy\.imageCaches\[0\]/],
  ['policy', { acrInstances: ['acr-1'] }, /tenants\.acme\.policy\.acrInstances\[0\]/],
  ['policy', { imageRegistries: ['https://docker.io'] }, /tenants\.acme\.policy\.imageRegistries\[0\]: "https:\/\/docker\.io" is not a registry host/],
  ['policy', { flexVolumeDrivers: ['alicloud/cpfs'] }, /tenants\.acme\.policy\.flexVolumeDrivers\[0\]: "alicloud\/cpfs" is not one of alicloud\/disk, alicloud\/nas, alicloud\/oss/],
  ['quotas', { maxPods: 2.5 }, /tenants\.acme\.quotas\.maxPods: must be a whole number/],
  ['quotas', { maxPods: 0 }, /tenants\.acme\.quotas\.maxPods: must be a positive number/],
  ['quotas', { maxCpu: 10 }, /tenants\.acme\.quotas\.maxCpu: unknown quota \(known: maxPods, maxVcpu, maxMemoryGiB, maxSpendPerHour, clusters\)/],
];

for (const [key, value, re] of bad) {
  test(`refused naming the field: ${key} = ${JSON.stringify(value)}`, (t) => {
    const err = t.throws(() => parseRelayConfig(base({ [key]: value })), { instanceOf: ConfigError });
    t.regex(err.message, re);
  });
}
