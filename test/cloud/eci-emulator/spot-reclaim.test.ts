// Spot reclaim choices, table-tested with a fake clock and a scripted random source: which groups ECI could
// release (spot only, holding an instance, past protection), how many the rate reclaims per tick, the notice
// (SpotToBeReleased, then Expired after noticeMs), on-demand reclaims by id/name/count and their refusals.
import test from 'ava';
import { fakeClock } from '../../helpers/fake-clock.js';
import { isoNow, type GroupRecord, type GroupSpec, type GroupStatus, type SpotStrategy } from '../../../cloud/eci-emulator/model.js';
import {
  SpotReclaimError,
  SpotReclaimer,
  mergeSpotSettings,
  parseReclaimRequest,
  pickRandom,
  protectionEndsMs,
  reclaimable,
  reclaimsDue,
  DEFAULT_SPOT_RECLAIM,
  type SpotHost,
} from '../../../cloud/eci-emulator/spot-reclaim.js';
import { ConfigError } from '../../../cloud/eci-emulator/config.js';

const T0 = Date.parse('2026-11-24T10:00:00Z');
const HOUR = 3_600_000;

function group(id: string, o: { spot?: SpotStrategy; status?: GroupStatus; createdAgoMs?: number; spotDuration?: number; noticed?: boolean } = {}): GroupRecord {
  const spec = { name: `ns-${id}`, regionId: 'cn-hangzhou', spotStrategy: o.spot ?? 'SpotAsPriceGo', spotDuration: o.spotDuration } as GroupSpec;
  return {
    id, uuid: id, seq: 0, spec, status: o.status ?? 'Running', intranetIp: '127.10.0.2', creationTime: isoNow(T0 - (o.createdAgoMs ?? 2 * HOUR)),
    updatedAtMs: T0, containers: [], initContainers: [], events: [], deleting: false, spotReleaseAtMs: o.noticed ? T0 + 1000 : undefined,
  };
}

/** A host over plain records: expire() marks Expired, event() records the notice. */
function host(groups: GroupRecord[]): SpotHost & { events: string[] } {
  const events: string[] = [];
  return {
    events,
    all: () => groups,
    find: (id) => groups.find((g) => g.id === id),
    event: (id, type, reason, message) => void events.push(`${id} ${type} ${reason} ${message}`),
    expire: (g) => void (g.status = 'Expired'),
  };
}

/** A random source that answers the given values in turn (then the last one again). */
const scripted = (...values: number[]) => {
  let i = 0;
  return () => values[Math.min(i++, values.length - 1)];
};

const ELIGIBLE: Array<[string, GroupRecord, boolean, boolean]> = [
  // [case, group, honourProtection, reclaimable]
  ['running SpotAsPriceGo past protection', group('a'), true, true],
  ['SpotWithPriceLimit counts as spot', group('a', { spot: 'SpotWithPriceLimit' }), true, true],
  ['NoSpot is never reclaimed', group('a', { spot: 'NoSpot' }), false, false],
  ['inside the 1 h default protection', group('a', { createdAgoMs: 30 * 60_000 }), true, false],
  ['inside protection, protection not honoured', group('a', { createdAgoMs: 30 * 60_000 }), false, true],
  ['SpotDuration 0: no protection', group('a', { createdAgoMs: 1000, spotDuration: 0 }), true, true],
  ['Pending holds an instance', group('a', { status: 'Pending' }), true, true],
  ['Updating holds an instance', group('a', { status: 'Updating' }), true, true],
  ['Scheduling holds none yet', group('a', { status: 'Scheduling' }), false, false],
  ['Succeeded holds none', group('a', { status: 'Succeeded' }), false, false],
  ['already Expired', group('a', { status: 'Expired' }), false, false],
  ['already under notice', group('a', { noticed: true }), false, false],
];
for (const [name, g, honour, want] of ELIGIBLE) {
  test(`reclaimable: ${name} -> ${want}`, (t) => {
    t.is(reclaimable(g, T0, honour), want);
  });
}

test('protection ends SpotDuration hours after creation (1 by default)', (t) => {
  const g = group('a', { createdAgoMs: 0 });
  t.is(protectionEndsMs(g), T0 + HOUR);
  t.is(protectionEndsMs(group('b', { createdAgoMs: 0, spotDuration: 0 })), T0);
});

const DUE: Array<[number, number, number, number]> = [
  // [ratePerMinute, elapsedMs, random, reclaims]
  [0, 60_000, 0, 0],
  [6, 0, 0, 0],
  [6, 60_000, 0.99, 6],
  [6, 1000, 0.09, 1], // expected 0.1: drawn under it
  [6, 1000, 0.1, 0], // expected 0.1: drawn at it
  [90, 1000, 0.49, 2], // expected 1.5
  [90, 1000, 0.5, 1],
];
for (const [rate, elapsed, r, want] of DUE) {
  test(`reclaimsDue: ${rate}/min over ${elapsed} ms with draw ${r} -> ${want}`, (t) => {
    t.is(reclaimsDue(rate, elapsed, () => r), want);
  });
}

test('reclaimsDue averages the rate over many ticks', (t) => {
  let seed = 42;
  const random = () => ((seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31) / 2 ** 31);
  let total = 0;
  for (let i = 0; i < 60_000; i++) total += reclaimsDue(12, 1000, random);
  t.true(Math.abs(total / 1000 - 12) < 0.5, `${total / 1000} per minute`);
});

test('pickRandom: distinct items, no more than there are, driven by the random source', (t) => {
  t.deepEqual(pickRandom(['a', 'b', 'c', 'd'], 2, () => 0), ['a', 'b']);
  t.deepEqual(pickRandom(['a', 'b', 'c', 'd'], 1, () => 0.99), ['d']);
  t.deepEqual(pickRandom(['a', 'b'], 5, () => 0.5).sort(), ['a', 'b']);
  t.deepEqual(pickRandom([], 3, () => 0), []);
});

const SETTINGS: Array<[string, unknown, string | undefined]> = [
  ['rate and notice', { ratePerMinute: 2.5, noticeMs: 1000 }, undefined],
  ['negative rate', { ratePerMinute: -1 }, 'spotReclaim.ratePerMinute'],
  ['fractional notice', { noticeMs: 1.5 }, 'spotReclaim.noticeMs'],
  ['notice over an hour', { noticeMs: HOUR + 1 }, 'spotReclaim.noticeMs'],
  ['protection not a boolean', { honourProtection: 'no' }, 'spotReclaim.honourProtection'],
  ['unknown field', { rate: 1 }, 'spotReclaim.rate'],
  ['not an object', [1], 'spotReclaim'],
];
for (const [name, partial, field] of SETTINGS) {
  test(`settings: ${name}`, (t) => {
    if (!field) {
      t.like(mergeSpotSettings(DEFAULT_SPOT_RECLAIM, partial), { ratePerMinute: 2.5, noticeMs: 1000, honourProtection: true });
      return;
    }
    const e = t.throws(() => mergeSpotSettings(DEFAULT_SPOT_RECLAIM, partial), { instanceOf: ConfigError });
    t.is(e?.field, field);
  });
}

const REQUESTS: Array<[string, unknown, RegExp | undefined]> = [
  ['ids with a notice', { ids: ['eci-1'], noticeMs: 0 }, undefined],
  ['not an object', 'eci-1', /JSON object/],
  ['ids not strings', { ids: [1] }, /ids must be a list/],
  ['count not a number', { count: '2' }, /count must be a number/],
  ['unknown field', { id: 'eci-1' }, /unknown field id/],
];
for (const [name, body, error] of REQUESTS) {
  test(`reclaim request: ${name}`, (t) => {
    if (!error) return void t.deepEqual(parseReclaimRequest(body), { ids: ['eci-1'], names: undefined, count: undefined, noticeMs: 0 });
    const e = t.throws(() => parseReclaimRequest(body), { instanceOf: SpotReclaimError });
    t.is(e?.httpStatus, 400);
    t.regex(e?.message ?? '', error);
  });
}

test('reclaim by id: SpotToBeReleased now, Expired once the notice has passed, not before', (t) => {
  const { fake, clock } = fakeClock(T0);
  const g = group('a');
  const h = host([g, group('b')]);
  const r = new SpotReclaimer(h, clock, () => 0);
  t.deepEqual(r.reclaim({ ids: ['a'], noticeMs: 5000 }), [{ id: 'a', name: 'ns-a', releaseAt: '2026-11-24T10:00:05Z' }]);
  t.is(h.events.length, 1);
  t.regex(h.events[0], /^a Warning SpotToBeReleased Spot ECI instance a will be released at 2026-11-24T10:00:05Z/);
  t.deepEqual(r.status().pending.map((p) => p.id), ['a']);
  fake.tick(4999);
  t.is(g.status, 'Running');
  fake.tick(1);
  t.is(g.status, 'Expired');
  t.like(r.status(), { pending: [], reclaimedTotal: 1 });
  t.is(h.all()[1].status, 'Running', 'the other group is untouched');
  r.close();
});

test('reclaim again during the notice answers the same release time (idempotent); noticeMs 0 releases at once', (t) => {
  const { fake, clock } = fakeClock(T0);
  const [a, b] = [group('a'), group('b')];
  const h = host([a, b]);
  const r = new SpotReclaimer(h, clock, () => 0);
  r.reclaim({ ids: ['a'], noticeMs: 5000 });
  fake.tick(1000);
  t.deepEqual(r.reclaim({ ids: ['a'], noticeMs: 0 }).map((x) => x.releaseAt), ['2026-11-24T10:00:05Z']);
  t.is(a.status, 'Running');
  t.is(h.events.length, 1, 'one notice per group');
  r.reclaim({ names: ['ns-b'], noticeMs: 0 });
  t.is(b.status, 'Expired');
  t.regex(h.events[1], /will be released now/);
  r.close();
});

const REFUSED: Array<[string, GroupRecord[], Parameters<SpotReclaimer['reclaim']>[0], number, RegExp]> = [
  ['unknown id', [group('a')], { ids: ['zzz'] }, 404, /no container group zzz/],
  ['unknown name', [group('a')], { names: ['ns-zzz'] }, 404, /no container group named ns-zzz/],
  ['not a spot group', [group('a', { spot: 'NoSpot' })], { ids: ['a'] }, 409, /without a SpotStrategy/],
  ['already finished', [group('a', { status: 'Failed' })], { ids: ['a'] }, 409, /is Failed: it holds no instance/],
  ['count with ids', [group('a')], { ids: ['a'], count: 1 }, 400, /either count or ids/],
  ['count of 0', [group('a')], { count: 0 }, 400, /count must be/],
  ['nothing named', [group('a')], {}, 400, /name the groups/],
  ['bad notice', [group('a')], { ids: ['a'], noticeMs: -1 }, 400, /noticeMs/],
];
for (const [name, groups, req, status, message] of REFUSED) {
  test(`reclaim refused: ${name}`, (t) => {
    const { clock } = fakeClock(T0);
    const h = host(groups);
    const e = t.throws(() => new SpotReclaimer(h, clock).reclaim(req), { instanceOf: SpotReclaimError });
    t.is(e?.httpStatus, status);
    t.regex(e?.message ?? '', message);
    t.deepEqual(h.events, [], 'nothing noticed');
  });
}

test('reclaim a count: random spot groups holding an instance (protection does not apply), never NoSpot ones', (t) => {
  const { clock } = fakeClock(T0);
  const groups = [group('s1', { createdAgoMs: 1000 }), group('plain', { spot: 'NoSpot' }), group('s2'), group('done', { status: 'Succeeded' }), group('s3')];
  const r = new SpotReclaimer(host(groups), clock, () => 0.99);
  const got = r.reclaim({ count: 2, noticeMs: 0 }).map((x) => x.id);
  t.is(got.length, 2);
  t.true(got.every((id) => ['s1', 's2', 's3'].includes(id)));
  t.deepEqual(r.reclaim({ count: 5, noticeMs: 0 }).length, 1, 'only one spot group was left');
  t.is(groups[1].status, 'Running');
});

test('the rate reclaims random eligible groups each tick and honours protection; 0 stops it', (t) => {
  const { fake, clock } = fakeClock(T0);
  const young = group('young', { createdAgoMs: 10 * 60_000 });
  const groups = [group('s1'), group('s2'), young, group('plain', { spot: 'NoSpot' })];
  // Draws: the tick's fraction (0: one more), then the pick.
  const r = new SpotReclaimer(host(groups), clock, scripted(0, 0));
  r.configure({ ratePerMinute: 30, noticeMs: 2000 });
  fake.tick(1000);
  t.deepEqual(r.status().pending.map((p) => p.id), ['s1'], 'one reclaim after a second at 30/min (expected 0.5, drawn under)');
  fake.tick(2000);
  t.is(groups[0].status, 'Expired');
  fake.tick(60_000);
  t.is(groups[1].status, 'Expired');
  t.is(young.status, 'Running', 'inside its protection period');
  t.is(groups[3].status, 'Running', 'NoSpot');
  r.configure({ honourProtection: false });
  fake.tick(3000);
  t.is(young.status, 'Expired');
  r.configure({ ratePerMinute: 0 });
  t.is(fake.countTimers(), 0, 'no ticker left');
  r.close();
});

test('a group removed during its notice is not released; close() drops pending releases', (t) => {
  const { fake, clock } = fakeClock(T0);
  const groups = [group('a'), group('b')];
  const h = host(groups);
  const r = new SpotReclaimer(h, clock, () => 0);
  r.reclaim({ ids: ['a', 'b'], noticeMs: 1000 });
  groups.splice(0, 1);
  r.forget('a');
  fake.tick(1000);
  t.like(r.status(), { reclaimedTotal: 1 });
  r.reclaim({ count: 1, noticeMs: 1000 });
  r.close();
  t.is(fake.countTimers(), 0);
});
