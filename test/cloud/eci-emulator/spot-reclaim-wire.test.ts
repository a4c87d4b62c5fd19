// Spot reclaim on the wire: the unmodified SDK sees what ECI documents (a SpotToBeReleased Warning event while the
// group still runs, then status Expired with ExpiredTime, PodStatus phase Failed), driven through the admin HTTP
// API; NoSpot groups are refused and never reclaimed by the rate. What the SDK reads maps to a Failed pod with
// reason SpotInstanceReclaimed.
import test from 'ava';
import { startEmulator, type EmulatorHandle } from '../../../cloud/eci-emulator/index.js';
import { groupToPodStatus } from '../../../cloud/eci/mapping/status.js';
import { SPOT_RECLAIMED_REASON, SPOT_TO_BE_RELEASED } from '../../../cloud/eci/mapping/spot.js';
import { $Eci, sdkClient, waitFor, type EciClient } from './sdk.js';
import { pod } from '../eci/mapping/fixtures.js';

let h: EmulatorHandle;
let c: EciClient;
const region = 'cn-hangzhou';

test.before(async () => {
  h = await startEmulator({ runtime: 'simulated', config: { createLatency: { schedulingMs: 20, pendingMs: 0 } } });
  c = sdkClient(h);
});
test.after.always(async () => {
  await h?.close();
});

async function running(name: string, extra: Record<string, unknown> = {}): Promise<string> {
  const r = await c.createContainerGroup(
    new $Eci.CreateContainerGroupRequest({ regionId: region, containerGroupName: name, container: [{ name: 'app', image: 'busybox', command: ['sleep', '3600'] }], ...extra }),
  );
  const id = r.body.containerGroupId!;
  await waitFor(`${name} Running`, async () => (await describe(id))?.status === 'Running');
  return id;
}

const describe = async (id: string) =>
  (await c.describeContainerGroups(new $Eci.DescribeContainerGroupsRequest({ regionId: region, containerGroupIds: JSON.stringify([id]) }))).body.containerGroups?.[0];

const admin = (route: string, body?: unknown) =>
  fetch(`${h.url}/__admin/${route}`, {
    method: body === undefined ? 'GET' : 'POST',
    headers: { authorization: `Bearer ${h.adminToken}`, 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });

test.serial('a reclaimed spot group: SpotToBeReleased while Running, then Expired after the notice, mapped to SpotInstanceReclaimed', async (t) => {
  const id = await running('spot-one', { spotStrategy: 'SpotAsPriceGo' });
  const res = await admin('reclaim', { ids: [id], noticeMs: 1500 });
  t.is(res.status, 200);
  const body = (await res.json()) as { reclaimed: { id: string; releaseAt: string }[] };
  t.deepEqual(body.reclaimed.map((r) => r.id), [id]);

  const noticed = await describe(id);
  t.is(noticed?.status, 'Running', 'the instance runs on during its notice');
  const notice = noticed?.events?.find((e) => e.reason === SPOT_TO_BE_RELEASED);
  t.is(notice?.type, 'Warning');
  t.regex(notice?.message ?? '', new RegExp(`will be released at ${body.reclaimed[0].releaseAt}`));

  const expired = await waitFor('Expired', async () => {
    const g = await describe(id);
    return g?.status === 'Expired' ? g : undefined;
  });
  t.regex(expired.expiredTime ?? '', /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
  t.true(Date.parse(expired.expiredTime!) >= Date.parse(body.reclaimed[0].releaseAt), 'not released before its notice ran out');
  t.like(expired.containers?.[0].currentState, { state: 'Terminated', exitCode: 137, reason: 'BidFailed' });

  const st = await c.describeContainerGroupStatus(new $Eci.DescribeContainerGroupStatusRequest({ regionId: region, containerGroupIds: JSON.stringify([id]) }));
  t.like(st.body.data?.[0], { status: 'Expired', podStatus: { phase: 'Failed' } });
  const ev = await c.describeContainerGroupEvents(new $Eci.DescribeContainerGroupEventsRequest({ regionId: region, containerGroupIds: JSON.stringify([id]) }));
  t.true(ev.body.data?.[0].events?.some((e) => e.reason === SPOT_TO_BE_RELEASED && e.type === 'Warning'));

  const { status, events } = groupToPodStatus(expired, pod(), new Date());
  t.like(status, { phase: 'Failed', reason: SPOT_RECLAIMED_REASON });
  t.like(status.containerStatuses?.[0].state?.terminated, { exitCode: 137, reason: SPOT_RECLAIMED_REASON });
  t.true(events.some((e) => e.type === 'Warning' && e.reason === SPOT_RECLAIMED_REASON));
  t.true(events.some((e) => e.type === 'Warning' && e.reason === SPOT_TO_BE_RELEASED));
});

test.serial('the admin API refuses NoSpot, unknown and malformed reclaims', async (t) => {
  const plain = await running('plain-one');
  const refused = await admin('reclaim', { ids: [plain], noticeMs: 0 });
  t.is(refused.status, 409);
  t.regex(((await refused.json()) as { error: string }).error, /without a SpotStrategy/);
  t.is((await admin('reclaim', { ids: ['eci-nosuchgroup'] })).status, 404);
  t.is((await admin('reclaim', { count: 'all' })).status, 400);
  const badRate = await admin('spot-reclaim', { ratePerMinute: -2 });
  t.is(badRate.status, 400);
  t.like(await badRate.json(), { field: 'spotReclaim.ratePerMinute' });
  t.is((await describe(plain))?.status, 'Running');
});

test.serial('at a rate, spot groups past their protection are reclaimed at random; NoSpot ones never', async (t) => {
  const spot = await Promise.all(['rate-a', 'rate-b'].map((n) => running(n, { spotStrategy: 'SpotWithPriceLimit', spotPriceLimit: 0.5, spotDuration: 0 })));
  const plain = await running('rate-plain');
  const set = await admin('spot-reclaim', { ratePerMinute: 600, noticeMs: 0 });
  t.like(await set.json(), { settings: { ratePerMinute: 600, noticeMs: 0, honourProtection: true } });
  await waitFor('both spot groups Expired', async () => (await Promise.all(spot.map(describe))).every((g) => g?.status === 'Expired'));
  await admin('spot-reclaim', { ratePerMinute: 0 });
  t.is((await describe(plain))?.status, 'Running');
  const status = (await (await admin('spot-reclaim')).json()) as { reclaimedTotal: number };
  t.true(status.reclaimedTotal >= 2);
});
