// A finished pod keeps its final status after ECI's retention drops the group (process runtime: the container
// really runs and exits 0), and deleting it afterwards is confirmed at once.
import test from 'ava';
import { startEmulator, type EmulatorHandle } from '../../../../cloud/eci-emulator/index.js';
import { StateLog, intentOf, phaseOf, providerFor, scopeOf, uidOf, waitFor } from './fixtures.js';

let emu: EmulatorHandle;
test.before(async () => {
  emu = await startEmulator({
    runtime: 'process',
    config: { createLatency: { schedulingMs: 20, pendingMs: 0 }, retention: { terminalKeepMs: 1500, keepNewestPerRegion: 0, sweepIntervalMs: 200 } },
  });
});
test.after.always(() => emu?.close());

test('a Succeeded pod keeps its final status after the emulator drops the group', async (t) => {
  const scope = scopeOf('t-ret', 'cluster-ret');
  const p = providerFor(emu);
  t.teardown(() => p.close());
  const log = new StateLog();
  p.watch(scope, log.listener);
  const uid = uidOf(1, 'ffffffff');
  const r = await p.apply(scope, intentOf(uid, 1, 'job-1', { image: 'busybox', command: ['/bin/sh', '-c', 'exit 0'], restartPolicy: 'Never' }));
  await waitFor('Succeeded', () => phaseOf(log.latest.get(uid)) === 'Succeeded');
  await waitFor('group dropped by retention', () => !emu.admin.listGroups().some((g) => g.id === r.providerId));
  // Several full polls without the group (the pod is finished and nothing else is in flight, so every poll is a
  // full listing): more than the lostAfterMisses (2) after which a running pod's group would count as lost.
  const reads = p.readCalls;
  await waitFor('three full polls without the group', () => p.readCalls >= reads + 3, 15_000);
  const s = await p.get(scope, uid);
  t.is(phaseOf(s), 'Succeeded');
  t.false(s!.gone);
  t.is(phaseOf(log.latest.get(uid)), 'Succeeded', 'no later state replaced the final one');
  t.deepEqual((await p.reconcile(scope, [{ uid, generation: 1 }])).missing, [], 'the agent is not told to re-create it');
  t.true((await p.delete(scope, uid, 0)).existed);
  t.true(log.latest.get(uid)!.gone);
});
