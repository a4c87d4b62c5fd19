// A relay config reload reaches pods created after it: the provider takes a tenant's new settings (vSwitch,
// region, credentials) from the scope of each call, through the relay's own composition (createEciBackend),
// instead of keeping the settings of the first call for the life of the process.
import test from 'ava';
import { startEmulator, type EmulatorHandle } from '../../../../cloud/eci-emulator/index.js';
import { createEciBackend, type EciBackend } from '../../../../cloud/eci/index.js';
import { GroupApi } from '../../../../cloud/eci/provider/groups.js';
import type { TenantScope } from '../../../../cloud/pod-provider/provider.js';
import { intentOf, scopeOf, uidOf } from './fixtures.js';

let emu: EmulatorHandle;
let backend: EciBackend;

test.before(async () => {
  emu = await startEmulator({ runtime: 'simulated', regions: ['cn-hangzhou', 'cn-shanghai'] });
  backend = createEciBackend({
    connection: { endpoint: emu.endpoint, protocol: 'http', timeoutMs: 5000 },
    credentials: () => ({ accessKeyId: emu.accessKeyId, accessKeySecret: emu.accessKeySecret }),
    provider: { pollFastMs: 100, pollSlowMs: 1000 },
  });
});
test.after.always(async () => {
  backend?.provider.close();
  await emu?.close();
});

/** The same tenant and cluster as `s`, with some tenant settings changed (what a config reload hands the provider). */
const reloaded = (s: TenantScope, change: Partial<TenantScope['tenant']>): TenantScope => ({ ...s, tenant: { ...s.tenant, ...change } });

async function groupOf(scope: TenantScope, uid: string) {
  const [g] = await new GroupApi(backend.callerFor(scope)).findByUid(uid);
  return g;
}

test('pods applied after a reload get the new vSwitch, security group and region; earlier pods stay reachable', async (t) => {
  const first = scopeOf('reload', 'dc1');
  const a = uidOf(1, 'aaaaaaaa');
  await backend.provider.apply(first, intentOf(a, 1, 'pod-a'));
  t.is((await groupOf(first, a))?.vSwitchId, 'vsw-test1');

  const second = reloaded(first, { vSwitchId: 'vsw-test2', securityGroupId: 'sg-test2' });
  const b = uidOf(2, 'aaaaaaaa');
  await backend.provider.apply(second, intentOf(b, 1, 'pod-b'));
  const gb = await groupOf(second, b);
  t.is(gb?.vSwitchId, 'vsw-test2', 'the reloaded vSwitch reached ECI');
  t.is(gb?.securityGroupId, 'sg-test2');

  const third = reloaded(second, { region: 'cn-shanghai' });
  const c = uidOf(3, 'aaaaaaaa');
  await backend.provider.apply(third, intentOf(c, 1, 'pod-c'));
  const regions = new Map(emu.admin.listGroups().map((g) => [g.name, g.regionId]));
  const groupC = await groupOf(third, c);
  t.truthy(groupC, 'the pod applied after the region change is found in the new region');
  t.is(regions.get(groupC.containerGroupName!), 'cn-shanghai', 'the new region has a caller of its own');
  t.is(regions.get((await groupOf(first, a)).containerGroupName!), 'cn-hangzhou');
  t.true((await backend.provider.list(third)).some((p) => p.uid === c));
});
