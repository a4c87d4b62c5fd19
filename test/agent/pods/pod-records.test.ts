// One record per pod: remember() notes where the informer sees a pod (and indexes it by namespace/name),
// of() creates a record for a pod known only from relay statuses, and forget() deletes the one record,
// stopping its timers and leaving the name to a newer pod that took it.
import test from 'ava';
import FakeTimers from '@sinonjs/fake-timers';
import type { V1Pod } from '@kubernetes/client-node';
import { PodRecords, podKey } from '../../../agent/pods/pod-records.js';

const pod = (uid: string, name = 'web', namespace = 'ns'): V1Pod => ({ metadata: { uid, name, namespace } });

test('podKey is namespace/name, default namespace when unset', (t) => {
  for (const [ns, name, key] of [
    ['ns', 'web', 'ns/web'],
    [undefined, 'web', 'default/web'],
    ['ns', undefined, 'ns/'],
  ] as const) t.is(podKey(ns, name), key);
});

test('remember indexes a pod by uid and name; a pod without uid is ignored', (t) => {
  const r = new PodRecords();
  r.remember(pod('u1'));
  r.remember({ metadata: { name: 'nameless' } });
  t.deepEqual(r.get('u1')?.ref, { namespace: 'ns', name: 'web' });
  t.is(r.named('ns/web')?.uid, 'u1');
  t.is(r.named('ns/nameless'), undefined);
});

test('a status for a pod the informer has not seen makes a record without ref; remember fills it in', (t) => {
  const r = new PodRecords();
  const rec = r.of('u1');
  rec.statusVersion = 4;
  t.is(rec.ref, undefined);
  t.is(r.of('u1'), rec, 'of() returns the existing record');
  r.remember(pod('u1'));
  t.is(r.get('u1'), rec);
  t.is(rec.statusVersion, 4, 'what the relay said is kept');
  t.deepEqual(rec.ref, { namespace: 'ns', name: 'web' });
});

test('forget deletes the one record and stops its timers', (t) => {
  const clock = FakeTimers.install();
  t.teardown(() => clock.uninstall());
  const r = new PodRecords();
  r.remember(pod('u1'));
  const rec = r.of('u1');
  const fired: string[] = [];
  Object.assign(rec, {
    statusVersion: 3,
    appliedGeneration: 2,
    failed: true,
    unwritten: true,
    unrecordedGroup: 'eci-1',
    settleTimer: setTimeout(() => fired.push('settle'), 1000),
    annotateTimer: setTimeout(() => fired.push('annotate'), 10_000),
  });
  r.forget(rec);
  clock.tick(60_000);
  t.deepEqual(fired, [], 'no timer of a forgotten pod fires');
  t.is(r.get('u1'), undefined);
  t.is(r.named('ns/web'), undefined);
  t.is(clock.countTimers(), 0);
  const fresh = r.of('u1');
  t.false(fresh.failed, 'a later record starts empty');
  t.is(fresh.appliedGeneration, undefined);
});

test('forgetting a pod whose name a newer pod took leaves the newer pod indexed', (t) => {
  const r = new PodRecords();
  r.remember(pod('old'));
  const old = r.named('ns/web')!;
  r.remember(pod('new'));
  t.is(r.named('ns/web')?.uid, 'new');
  r.forget(old);
  t.is(r.get('old'), undefined);
  t.is(r.named('ns/web')?.uid, 'new');
  t.truthy(r.get('new'));
});

test('clearTimers stops every pending timer and keeps the records', (t) => {
  const clock = FakeTimers.install();
  t.teardown(() => clock.uninstall());
  const r = new PodRecords();
  let fired = 0;
  for (const uid of ['a', 'b', 'c']) {
    const rec = r.of(uid);
    rec.settleTimer = setTimeout(() => fired++, 1000);
    rec.annotateTimer = setTimeout(() => fired++, 2000);
  }
  r.clearTimers();
  clock.tick(10_000);
  t.is(fired, 0);
  t.truthy(r.get('b'));
  t.is(r.get('b')?.settleTimer, undefined);
});
