// ScopeSequence: resume windows (since) and bounded history; StatusHub: one sequence per scope, keys that cannot collide.
import test from 'ava';
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

test('waitForChange resolves on push, on timeout and on abort', async (t) => {
  const s = new ScopeSequence(4);
  const ac = new AbortController();
  const p = s.waitForChange(60_000, ac.signal);
  s.push(state('a', 1));
  await p;
  await s.waitForChange(10, ac.signal);
  const q = s.waitForChange(60_000, ac.signal);
  ac.abort();
  await q;
  t.pass();
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
