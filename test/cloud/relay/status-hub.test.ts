// ScopeSequence: resume windows (since) and bounded history; StatusHub: one sequence per scope, keys that cannot collide.
import test from 'ava';
import { getEventListeners } from 'node:events';
import FakeTimers from '@sinonjs/fake-timers';
import { ScopeSequence, StatusHub } from '../../../cloud/relay/status-hub.js';
import type { PodProvider, TenantConfig } from '../../../cloud/pod-provider/provider.js';

const state = (uid: string, v: number) => ({ uid, namespace: '', name: '', generation: 1, providerId: '', statusVersion: v, statusJson: Buffer.alloc(0), events: [], gone: false });

test('since() returns exactly the changes after the cursor, or undefined past the history', (t) => {
  const s = new ScopeSequence(4);
  for (let i = 1; i <= 6; i++) s.push(state('a', i));
  t.is(s.seq, 6);
  t.deepEqual(s.since(6, 10), []);
  t.deepEqual(s.since(4, 10)!.map((e) => e.seq), [5, 6]);
  t.deepEqual(s.since(2, 10)!.map((e) => e.seq), [3, 4, 5, 6]);
  t.deepEqual(s.since(3, 2)!.map((e) => e.seq), [4, 5]);
  t.is(s.since(1, 10), undefined, 'older than history: snapshot needed');
  t.is(s.since(7, 10), undefined, 'from the future: snapshot needed');
});

test('waitForChange resolves on push, on timeout (not before) and on abort, and leaves no timer or listener', async (t) => {
  // ScopeSequence uses the global timers: fake ones here, moved by the test.
  const clock = FakeTimers.install({ toFake: ['setTimeout', 'clearTimeout'] });
  t.teardown(() => clock.uninstall());
  const s = new ScopeSequence(4);
  const ac = new AbortController();
  const tracked = (p: Promise<void>) => {
    const w = { settled: false };
    void p.then(() => (w.settled = true));
    return w;
  };

  const pushed = tracked(s.waitForChange(60_000, ac.signal));
  await clock.tickAsync(0);
  t.false(pushed.settled, 'waiting until something happens');
  s.push(state('a', 1));
  await clock.tickAsync(0);
  t.true(pushed.settled, 'a push wakes it at once, long before the timeout');
  t.is(clock.countTimers(), 0, 'its timeout is cleared');

  const timedOut = tracked(s.waitForChange(10_000, ac.signal));
  await clock.tickAsync(9_999);
  t.false(timedOut.settled, 'not before the timeout');
  await clock.tickAsync(1);
  t.true(timedOut.settled, 'at the timeout');

  const aborted = tracked(s.waitForChange(60_000, ac.signal));
  ac.abort();
  await clock.tickAsync(0);
  t.true(aborted.settled, 'an abort wakes it at once');
  t.is(clock.countTimers(), 0, 'its timeout is cleared');
  t.is(getEventListeners(ac.signal, 'abort').length, 0, 'no abort listener left behind');
});

test('StatusHub keys cannot collide: tenant "a/b" + cluster "c" and tenant "a" + cluster "b/c" get their own sequences', (t) => {
  // Config load refuses such ids (DNS labels only); the hub's keys are collision-free regardless.
  const subscribed: string[] = [];
  const provider = { watch: (scope: { tenantId: string; clusterId: string }) => (subscribed.push(`${scope.tenantId}|${scope.clusterId}`), () => undefined) } as unknown as PodProvider;
  const hub = new StatusHub(8);
  const scope = (tenantId: string, clusterId: string) => ({ tenantId, clusterId, tenant: {} as TenantConfig });
  const one = hub.forScope(scope('a/b', 'c'), provider);
  const two = hub.forScope(scope('a', 'b/c'), provider);
  t.not(one, two);
  t.deepEqual(subscribed, ['a/b|c', 'a|b/c']);
  t.is(hub.forScope(scope('a/b', 'c'), provider), one, 'the same scope shares its sequence');
  hub.close();
});
