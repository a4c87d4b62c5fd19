// EciProvider against the ECI emulator through the unmodified SDK: create, describe, update, delete, idempotency,
// mapping rejections and permanent ECI errors.
import test from 'ava';
import { startEmulator, type EmulatorHandle } from '../../../../cloud/eci-emulator/index.js';
import { ProviderError } from '../../../../cloud/pod-provider/provider.js';
import { StateLog, intentOf, phaseOf, providerFor, scopeOf, uidOf, waitFor } from './fixtures.js';

let emu: EmulatorHandle;
test.before(async () => {
  emu = await startEmulator({ runtime: 'simulated', config: { createLatency: { schedulingMs: 50, pendingMs: 0 } } });
});
test.after.always(() => emu?.close());

const scope = scopeOf('t-life', 'cluster-life');

test.serial('apply creates one group, watch reports Running, delete is confirmed before gone', async (t) => {
  const p = providerFor(emu);
  t.teardown(() => p.close());
  const log = new StateLog();
  p.watch(scope, log.listener);
  const uid = uidOf(1, 'aaaaaaaa');
  const r = await p.apply(scope, intentOf(uid, 1, 'web-1'));
  t.true(r.changed);
  t.regex(r.providerId, /^eci-/);
  const again = await p.apply(scope, intentOf(uid, 1, 'web-1'));
  t.false(again.changed);
  t.is(again.providerId, r.providerId);
  await waitFor('Running', () => phaseOf(log.latest.get(uid)) === 'Running');
  const got = await p.get(scope, uid);
  t.is(got?.providerId, r.providerId);
  t.is(got?.generation, 1);
  t.is(got?.name, 'web-1');
  t.is(emu.admin.listGroups().length, 1);

  const d = await p.delete(scope, uid, 5);
  t.true(d.existed);
  const gone = await waitFor('gone', () => log.latest.get(uid)?.gone && log.latest.get(uid));
  t.true(gone.gone);
  t.is(emu.admin.listGroups().filter((g) => g.id === r.providerId).length, 0, 'group no longer exists when gone is emitted');
  t.deepEqual(await p.delete(scope, uid, 5), { uid, existed: false });
  t.is(await p.get(scope, uid), undefined);
});

test.serial('an image change becomes UpdateContainerGroup and bumps the generation', async (t) => {
  const p = providerFor(emu);
  t.teardown(() => p.close());
  const log = new StateLog();
  p.watch(scope, log.listener);
  const uid = uidOf(2, 'aaaaaaaa');
  await p.apply(scope, intentOf(uid, 1, 'upd', { image: 'pause:1' }));
  await waitFor('Running', () => phaseOf(log.latest.get(uid)) === 'Running');
  emu.admin.resetStats();
  const r = await p.apply(scope, intentOf(uid, 2, 'upd', { image: 'pause:2' }));
  t.true(r.changed);
  t.is(r.generation, 2);
  t.is(emu.admin.stats().callsByAction.UpdateContainerGroup, 1);
  t.is(emu.admin.stats().callsByAction.CreateContainerGroup ?? 0, 0);
  await waitFor('generation 2 reported', () => log.latest.get(uid)?.generation === 2);
  await p.delete(scope, uid, 0);
  await waitFor('gone', () => log.latest.get(uid)?.gone);
});

test.serial('a pod ECI cannot run is rejected with INVALID_ARGUMENT naming the field; nothing is created', async (t) => {
  const p = providerFor(emu);
  t.teardown(() => p.close());
  const before = emu.admin.listGroups().length;
  const err = await t.throwsAsync(p.apply(scope, intentOf(uidOf(3, 'aaaaaaaa'), 1, 'bad', { extraSpec: { hostNetwork: true } })));
  t.true(err instanceof ProviderError);
  t.is((err as ProviderError).code, 'INVALID_ARGUMENT');
  t.regex(err.message, /spec\.hostNetwork/);
  const bad = intentOf(uidOf(4, 'aaaaaaaa'), 1);
  bad.podJson = Buffer.from('{not json');
  t.is((await t.throwsAsync<ProviderError>(p.apply(scope, bad)))?.code, 'INVALID_ARGUMENT');
  t.is(emu.admin.listGroups().length, before);
});

test.serial('out of stock fails the pod with a readable reason instead of retrying forever', async (t) => {
  const p = providerFor(emu);
  t.teardown(() => p.close());
  const log = new StateLog();
  p.watch(scope, log.listener);
  emu.admin.setStockOut(['*']);
  t.teardown(() => emu.admin.setStockOut([]));
  emu.admin.resetStats();
  const uid = uidOf(5, 'aaaaaaaa');
  const r = await p.apply(scope, intentOf(uid, 1, 'nostock'));
  t.is(r.providerId, '');
  const s = log.latest.get(uid)!;
  const status = JSON.parse(s.statusJson.toString()) as { phase: string; reason: string };
  t.is(status.phase, 'Failed');
  t.is(status.reason, 'OutOfStock');
  t.true(s.events.some((e) => e.type === 'Warning' && e.reason === 'OutOfStock'));
  t.is(emu.admin.stats().callsByAction.CreateContainerGroup, 1, 'a permanent error is not retried');
  t.false((await p.apply(scope, intentOf(uid, 1, 'nostock'))).changed, 'the same generation is not retried');
  t.true((await p.delete(scope, uid, 0)).existed);
  t.true(log.latest.get(uid)?.gone);
});
