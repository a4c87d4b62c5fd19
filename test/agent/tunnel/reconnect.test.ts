// Reconnect: the tunnel is cut for real (a TCP forwarder destroys both sockets) mid-stream; the status
// watch resumes with no gap and no duplicate. A relay restart (new epoch) resumes through a snapshot.
import test, { type ExecutionContext } from 'ava';
import { randomUUID } from 'node:crypto';
import { fixture, once, podIntent, until, type Fixture } from '../../helpers/tunnel/fixture.js';
import { startForwarder, type Forwarder } from '../../helpers/tunnel/net-peers.js';
import type { PodState__Output as PodState } from '../../../proto/gen/ecigw/tunnel/v1/PodState.js';

let f: Fixture;
test.before(async () => {
  f = await fixture();
});
test.after.always(async () => {
  await f?.close();
});

function recorder() {
  const seen = new Map<string, number[]>();
  let t_goneTwice = false;
  const gone = new Set<string>();
  const handler = (p: PodState) => {
    if (p.gone) {
      t_goneTwice ||= gone.has(p.uid);
      gone.add(p.uid);
      return;
    }
    const list = seen.get(p.uid) ?? [];
    list.push(p.statusVersion);
    seen.set(p.uid, list);
  };
  return { seen, gone, handler, goneTwice: () => t_goneTwice };
}

/** An agent whose tunnel runs through a forwarder the test can cut, recording its status watch. */
async function watchThroughForwarder(t: ExecutionContext): Promise<{ fwd: Forwarder; c: ReturnType<Fixture['client']>; rec: ReturnType<typeof recorder> }> {
  const fwd = await startForwarder(f.relay.port);
  t.teardown(() => fwd.close());
  const cert = await f.clientCert('agent-1');
  const c = f.client({ target: `127.0.0.1:${fwd.port}`, tls: f.tlsFor(cert) });
  const rec = recorder();
  c.watchStatus(rec.handler);
  return { fwd, c, rec };
}

test.serial('a cut mid-stream reconnects and the status watch resumes with no gap and no duplicate', async (t) => {
  const { fwd, c, rec } = await watchThroughForwarder(t);
  const states: string[] = [];
  c.on('state', (s: string) => states.push(s));
  c.start();
  await once(c, 'connected');
  await until(() => c.cursor.epoch === f.relay.epoch, 5_000, 'initial snapshot');

  const uids: string[] = Array.from({ length: 5 }, () => randomUUID());
  for (const u of uids) await c.apply(podIntent(u));
  const delivered = () => f.provider.allPods().every((p) => !uids.includes(p.uid) || rec.seen.get(p.uid)?.at(-1) === p.statusVersion);
  // Rounds 0-7 stream one after the other (each delivered before the next); round 8 is cut while in flight;
  // rounds 9-13 change while the agent is away; rounds 14-19 come after the watch has resumed.
  let changes = 0;
  for (let round = 0; round < 20; round++) {
    for (const u of uids) f.provider.setPhase(u, round % 2 ? 'Running' : 'Pending');
    changes++;
    if (round < 8) await until(delivered, 10_000, `round ${round} delivered`);
    if (round === 8) {
      fwd.sever(); // cut for real, mid-stream, while the relay keeps producing changes
      await once(c, 'disconnected', 5_000);
    }
    if (round === 13) await until(() => c.state === 'connected', 10_000, 'reconnected');
  }
  const final = new Map(f.provider.allPods().map((p) => [p.uid, p.statusVersion]));
  await until(() => uids.every((u) => rec.seen.get(u)?.at(-1) === final.get(u)), 10_000, 'all final versions delivered');
  for (const u of uids) {
    const versions = rec.seen.get(u)!;
    const expected = Array.from({ length: final.get(u)! }, (_, i) => i + 1);
    t.deepEqual(versions, expected, `pod ${u}: every version exactly once, in order`);
  }
  t.true(states.includes('disconnected') && states.lastIndexOf('connected') > states.indexOf('disconnected'), states.join(','));
  t.is(changes, 20);
});

test.serial('after a relay restart (new epoch) the watch resumes through a snapshot; deletes while away are reported gone', async (t) => {
  const { fwd, c, rec } = await watchThroughForwarder(t);
  c.start();
  await once(c, 'connected');
  const keep = randomUUID();
  const doomed = randomUUID();
  await c.apply(podIntent(keep));
  await c.apply(podIntent(doomed));
  await until(() => rec.seen.get(keep)?.includes(2) === true && rec.seen.get(doomed)?.includes(2) === true, 5_000, 'running');
  const oldEpoch = c.cursor.epoch;

  // The relay process dies; while it is away the cloud keeps changing.
  f.relay.forceClose();
  fwd.sever();
  await once(c, 'disconnected', 5_000);
  for (let i = 0; i < 3; i++) f.provider.setPhase(keep, 'Running');
  await f.provider.delete({ tenantId: 't1', clusterId: 'c1', tenant: f.config.tenants.t1 }, doomed, 0);

  const relay2 = await f.startRelay();
  fwd.setTarget(relay2.port);
  await once(c, 'connected', 10_000);
  const finalKeep = f.provider.allPods().find((p) => p.uid === keep)!.statusVersion;
  await until(() => rec.seen.get(keep)?.at(-1) === finalKeep && rec.gone.has(doomed), 10_000, 'snapshot applied');
  t.not(c.cursor.epoch, oldEpoch);
  t.is(c.cursor.epoch, relay2.epoch);
  for (const [uid, versions] of rec.seen) {
    const strictlyIncreasing = versions.every((v, i) => i === 0 || v > versions[i - 1]);
    t.true(strictlyIncreasing, `pod ${uid} versions ${versions.join(',')} applied at most once each`);
  }
  t.false(rec.goneTwice(), 'gone reported once');
  // Intents keep working against the new relay (nothing lived only in the old one's memory).
  const ack = await c.apply(podIntent(keep));
  t.false(ack.changed);
});
