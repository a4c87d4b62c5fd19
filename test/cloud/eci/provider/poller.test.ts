// The status poller of one tenant scope (TenantPods) against the ECI emulator through the unmodified SDK: its
// chain of ticks survives polls started by others (reconcile), so statuses keep changing. The GroupApi is
// the real one, with reads held at a gate the test opens, to place a reconcile exactly beside a tick's poll.
import test from 'ava';
import { startEmulator, type EmulatorHandle } from '../../../../cloud/eci-emulator/index.js';
import { GroupApi } from '../../../../cloud/eci/provider/groups.js';
import { TenantPods } from '../../../../cloud/eci/provider/tenant.js';
import type { EciGroup } from '../../../../cloud/eci/mapping/index.js';
import type { TagPair } from '../../../../cloud/eci/provider/identity.js';
import { logger } from '../../../../common/log.js';
import { StateLog, callerFor, intentOf, phaseOf, scopeOf, uidOf, waitFor } from './fixtures.js';

/** The real GroupApi; while held, every read waits until release(). */
class GatedGroupApi extends GroupApi {
  held = 0;
  /** Reads started (held or not). */
  reads = 0;
  private gate?: { wait: Promise<void>; open: () => void };

  hold(): void {
    let open!: () => void;
    const wait = new Promise<void>((r) => (open = r));
    this.gate = { wait, open };
  }

  release(): void {
    this.gate?.open();
    this.gate = undefined;
  }

  private async pass(): Promise<void> {
    this.reads++;
    if (!this.gate) return;
    this.held++;
    await this.gate.wait;
  }

  override async *pagesByTags(tags: TagPair[]): AsyncGenerator<EciGroup[]> {
    await this.pass();
    yield* super.pagesByTags(tags);
  }

  override async listByIds(ids: string[], tags: TagPair[]): Promise<EciGroup[]> {
    await this.pass();
    return await super.listByIds(ids, tags);
  }
}

let emu: EmulatorHandle;
test.before(async () => {
  // Groups stay Scheduling for 1.5 s, so the poller has to keep polling to see them Running.
  emu = await startEmulator({ runtime: 'simulated', config: { createLatency: { schedulingMs: 1500, pendingMs: 0 } } });
});
test.after.always(() => emu?.close());

test('a reconcile whose poll starts as a tick ends does not stop the poller: the pod still reaches Running', async (t) => {
  const scope = scopeOf('t-poller', 'cluster-poller');
  const api = new GatedGroupApi(callerFor(emu, scope.tenantId));
  // The poller's clock runs with the real one, plus the steps the test adds.
  let stepMs = 0;
  const now = () => Date.now() + stepMs;
  const pods = new TenantPods(scope, api, { pollFastMs: 100, pollSlowMs: 60_000, gcGraceMs: 60_000, lostAfterMisses: 2, fastPollMaxIds: 200, now }, logger('test'));
  t.teardown(() => pods.close());
  const log = new StateLog();
  pods.watch(log.listener);
  const uid = uidOf(1, 'cccccccc');
  await pods.apply(intentOf(uid, 1, 'poller-0'));
  t.is(phaseOf(log.latest.get(uid)), 'Pending');

  // A tick's poll is held; a reconcile queues behind it and polls again the moment it ends, just as the tick
  // schedules its successor.
  api.hold();
  await waitFor('a tick poll waiting at the gate', () => api.held >= 1, 5_000, 10);
  const reconciled = pods.reconcile([{ uid, generation: 1 }]);
  t.is(api.held, 1, 'the reconcile waits behind the tick\'s poll');
  // Past the window in which a reconcile shares the poll that just ended (50 ms): it polls again on its own.
  stepMs += 100;
  const readsBefore = api.reads;
  api.release();
  t.deepEqual(await reconciled, { missing: [], stale: [], orphans: [] });
  t.true(api.reads > readsBefore, 'the reconcile polled again the moment the tick\'s poll ended');

  await waitFor('the pod Running', () => phaseOf(log.latest.get(uid)) === 'Running', 10_000);
});
