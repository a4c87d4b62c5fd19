// The relay's client-side ECI rates against the emulator's limits (ECI's published ones): every default under
// its bucket, Create and Delete under the bucket they share, and a tenant with the defaults creating and
// deleting more groups than ECI's burst without one Throttling answer (it paces itself).
import test from 'ava';
import { defaultConfig } from '../../../cloud/eci-emulator/config.js';
import { bucketFor } from '../../../cloud/eci-emulator/limits.js';
import { startEmulator } from '../../../cloud/eci-emulator/index.js';
import type { EciAction } from '../../../cloud/eci/api.js';
import { createEciCaller } from '../../../cloud/eci/client.js';
import { DEFAULT_ACTION_RATES, sharedBudgets } from '../../../cloud/eci/rate-limit.js';
import { $Eci } from '../../../cloud/eci/sdk.js';

const ACTIONS = Object.keys(DEFAULT_ACTION_RATES) as EciAction[];
const emulatorLimits = defaultConfig().rateLimits;
const burstOf = (a: EciAction) => DEFAULT_ACTION_RATES[a].burst ?? Math.max(1, Math.floor(DEFAULT_ACTION_RATES[a].perSecond));

for (const action of ACTIONS) {
  test(`relay default for ${action} is under the emulator's default bucket`, (t) => {
    const bucket = bucketFor(emulatorLimits, action);
    if (!bucket) return t.fail(`the emulator does not limit ${action}`);
    const relay = DEFAULT_ACTION_RATES[action];
    t.true(relay.perSecond <= bucket.perSecond, `rate ${relay.perSecond}/s against ${bucket.perSecond}/s`);
    t.true(burstOf(action) <= bucket.burst, `burst ${burstOf(action)} against ${bucket.burst}`);
    // "N per minute": the relay's most calls in any 60 s (its burst, then a minute of refill) stay under N too.
    const entry = emulatorLimits[bucket.name];
    if (typeof entry === 'object' && entry.perMinute !== undefined) t.true(burstOf(action) + 60 * relay.perSecond <= entry.perMinute, `${burstOf(action)} + 60 × ${relay.perSecond} against ${entry.perMinute}/min`);
  });
}

test('actions sharing an emulator bucket share one relay budget under it (Create + Delete)', (t) => {
  const shared = new Map<string, EciAction[]>();
  for (const a of ACTIONS) {
    const b = bucketFor(emulatorLimits, a);
    if (b) shared.set(b.name, [...(shared.get(b.name) ?? []), a]);
  }
  const groups = [...shared].filter(([, actions]) => actions.length > 1);
  t.deepEqual(groups.map(([, a]) => a.sort()), [['CreateContainerGroup', 'DeleteContainerGroup']]);
  const budgets = sharedBudgets(DEFAULT_ACTION_RATES);
  for (const [name, actions] of groups) {
    const bucket = bucketFor(emulatorLimits, actions[0]);
    const budget = budgets.find((b) => actions.every((a) => b.actions.includes(a)));
    if (!bucket || !budget) return t.fail(`no relay budget covers the emulator's ${name} (${actions.join(', ')})`);
    t.true(budget.rate.perSecond <= bucket.perSecond && budget.rate.burst <= bucket.burst, `${name}: relay ${JSON.stringify(budget.rate)} against ${JSON.stringify(bucket)}`);
  }
});

test('a tenant\'s eciRates for one member of a shared quota sizes the shared budget (the larger figure)', (t) => {
  const rates = { ...DEFAULT_ACTION_RATES, CreateContainerGroup: { perSecond: 40, burst: 200 } };
  t.deepEqual(sharedBudgets(rates), [{ actions: ['CreateContainerGroup', 'DeleteContainerGroup'], rate: { perSecond: 40, burst: 200 } }]);
  const lower = { ...DEFAULT_ACTION_RATES, DeleteContainerGroup: { perSecond: 2 } };
  t.deepEqual(sharedBudgets(lower)[0].rate, { perSecond: DEFAULT_ACTION_RATES.CreateContainerGroup.perSecond, burst: burstOf('CreateContainerGroup') });
});

test('with the defaults, 120 creates then 120 deletes at once pass the emulator\'s shared bucket without throttling', async (t) => {
  const emu = await startEmulator({ runtime: 'simulated', config: { createLatency: { schedulingMs: 0, pendingMs: 0 } } });
  t.teardown(() => emu.close());
  const caller = createEciCaller({ tenantId: 'pace', endpoint: { endpoint: emu.endpoint, protocol: 'http', regionId: emu.regionId, accessKeyId: emu.accessKeyId, accessKeySecret: emu.accessKeySecret } });
  const N = 120;
  const started = Date.now();
  const ids = await Promise.all(
    Array.from({ length: N }, async (_, i) => {
      const r = await caller.call('CreateContainerGroup', (c, rt) =>
        c.createContainerGroupWithOptions(new $Eci.CreateContainerGroupRequest({ regionId: caller.regionId, containerGroupName: `pace-${i}`, container: [{ name: 'app', image: 'pause' }] }), rt),
      );
      return r.body?.containerGroupId ?? '';
    }),
  );
  t.true(ids.every((id) => id.startsWith('eci-')));
  await Promise.all(ids.map((id) => caller.call('DeleteContainerGroup', (c, rt) => c.deleteContainerGroupWithOptions(new $Eci.DeleteContainerGroupRequest({ regionId: caller.regionId, containerGroupId: id }), rt))));
  const s = caller.stats();
  t.deepEqual(s.errorsByCode, {}, 'no call was throttled or failed');
  t.deepEqual(s.attemptsByAction, { CreateContainerGroup: N, DeleteContainerGroup: N });
  t.is(emu.admin.listGroups().length, 0);
  // The shared budget paced them: its burst at once, the rest at its rate.
  const { rate } = sharedBudgets(DEFAULT_ACTION_RATES)[0];
  const floorMs = ((2 * N - rate.burst) / rate.perSecond) * 1000;
  t.true(Date.now() - started >= floorMs * 0.95, `took ${Date.now() - started} ms, the budget allows no less than ${floorMs.toFixed(0)} ms`);
});
