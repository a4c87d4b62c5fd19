// Spot reclaim in the pure group -> pod status mapping: which group states are a reclaim (Expired; Failed with the
// cause BidFailed), the pod's reason/message, its containers' final states and the Warning events, as a table.
import test from 'ava';
import * as $Eci from '@alicloud/eci20180808';
import { groupToPodStatus } from '../../../../cloud/eci/mapping/status.js';
import { SPOT_RECLAIMED_REASON, SPOT_TO_BE_RELEASED, isSpotReclaimed } from '../../../../cloud/eci/mapping/spot.js';
import { pod, container } from './fixtures.js';

const NOW = new Date('2026-11-24T10:00:00Z');
const G = $Eci.DescribeContainerGroupsResponseBodyContainerGroups;
const C = $Eci.DescribeContainerGroupsResponseBodyContainerGroupsContainers;
const S = $Eci.DescribeContainerGroupsResponseBodyContainerGroupsContainersCurrentState;
const E = $Eci.DescribeContainerGroupsResponseBodyContainerGroupsEvents;
type State = NonNullable<ConstructorParameters<typeof S>[0]>;

const RUNNING: State = { state: 'Running', startTime: '2026-11-24T09:00:00Z' };
const KILLED: State = { state: 'Terminated', exitCode: 137, signal: 9, reason: 'BidFailed', detailStatus: 'BidFailed', startTime: '2026-11-24T09:00:00Z', finishTime: '2026-11-24T09:59:59Z' };
const COMPLETED: State = { state: 'Terminated', exitCode: 0, reason: 'Completed', startTime: '2026-11-24T09:00:00Z', finishTime: '2026-11-24T09:30:00Z' };
const NOTICE = new E({ type: 'Warning', reason: SPOT_TO_BE_RELEASED, message: 'Spot ECI instance eci-abc will be released at 2026-11-24T09:59:59Z', count: 1, firstTimestamp: '2026-11-24T09:56:59Z', lastTimestamp: '2026-11-24T09:56:59Z' });

function group(status: string, states: State[], extra: ConstructorParameters<typeof G>[0] = {}) {
  return new G({
    containerGroupId: 'eci-abc', status, intranetIp: '192.168.1.10', creationTime: '2026-11-24T08:59:00Z',
    containers: states.map((s, i) => new C({ name: i === 0 ? 'app' : `side${i}`, image: 'nginx:1.27', ready: s.state === 'Running', currentState: new S(s) })),
    ...extra,
  });
}

const twoContainers = () => pod({ containers: [container(), container({ name: 'side1' })] });

interface Want {
  reclaimed: boolean;
  phase: string;
  /** Each container's final state: terminated reason and exit code. */
  containers?: Array<[string, number]>;
  notice?: boolean;
}

const CASES: Array<[string, ReturnType<typeof group>, Want]> = [
  ['Expired, container still reported Running', group('Expired', [RUNNING], { expiredTime: '2026-11-24T09:59:59Z' }), { reclaimed: true, phase: 'Failed', containers: [[SPOT_RECLAIMED_REASON, 137]] }],
  ['Expired as the emulator reports it (BidFailed, 137) after a notice', group('Expired', [KILLED], { expiredTime: '2026-11-24T09:59:59Z', events: [NOTICE] }), { reclaimed: true, phase: 'Failed', containers: [[SPOT_RECLAIMED_REASON, 137]], notice: true }],
  ['Expired, one container had already completed', group('Expired', [KILLED, COMPLETED], { expiredTime: '2026-11-24T09:59:59Z' }), { reclaimed: true, phase: 'Failed', containers: [[SPOT_RECLAIMED_REASON, 137], ['Completed', 0]] }],
  ['Expired while still creating (container waiting)', group('Expired', [{ state: 'Waiting', reason: 'ContainerCreating' }]), { reclaimed: true, phase: 'Failed', containers: [[SPOT_RECLAIMED_REASON, 137]] }],
  ['Failed with a BidFailed event (older ECI docs)', group('Failed', [{ state: 'Terminated', exitCode: 143, reason: 'Error' }], { failedTime: '2026-11-24T09:59:59Z', events: [new E({ type: 'Warning', reason: 'BidFailed', message: 'bid failed' })] }), { reclaimed: true, phase: 'Failed', containers: [['Error', 143]] }],
  ['Failed, container cause BidFailed', group('Failed', [KILLED]), { reclaimed: true, phase: 'Failed', containers: [[SPOT_RECLAIMED_REASON, 137]] }],
  ['Failed by the app itself is not a reclaim', group('Failed', [{ state: 'Terminated', exitCode: 1, reason: 'Error' }]), { reclaimed: false, phase: 'Failed', containers: [['Error', 1]] }],
  ['Running under notice: still Running, the notice shown', group('Running', [RUNNING], { events: [NOTICE] }), { reclaimed: false, phase: 'Running', notice: true }],
];

for (const [name, g, want] of CASES) {
  test(`spot: ${name}`, (t) => {
    t.is(isSpotReclaimed(g), want.reclaimed);
    const p = (g.containers ?? []).length > 1 ? twoContainers() : pod();
    const { status, events } = groupToPodStatus(g, p, NOW);
    t.is(status.phase, want.phase);
    const warning = events.find((e) => e.reason === SPOT_RECLAIMED_REASON);
    if (want.reclaimed) {
      t.is(status.reason, SPOT_RECLAIMED_REASON);
      t.regex(status.message ?? '', /reclaimed the spot \(preemptible\) ECI instance eci-abc/);
      t.regex(status.message ?? '', /controller \(ReplicaSet, Job\) creates a replacement/);
      t.like(warning, { type: 'Warning', message: status.message, count: 1 });
      t.true(status.containerStatuses!.every((c) => !c.ready && c.state?.terminated), 'no container runs or waits on a released instance');
      t.like(status.conditions?.find((c) => c.type === 'Ready'), { status: 'False', reason: 'PodCompleted' });
    } else {
      t.not(status.reason, SPOT_RECLAIMED_REASON);
      t.is(warning, undefined);
    }
    if (want.containers) t.deepEqual(status.containerStatuses!.map((c) => [c.state?.terminated?.reason, c.state?.terminated?.exitCode]), want.containers);
    const notice = events.find((e) => e.reason === SPOT_TO_BE_RELEASED);
    if (want.notice) t.like(notice, { type: 'Warning', message: NOTICE.message, firstTimestamp: new Date(NOTICE.firstTimestamp!) });
    else t.is(notice, undefined);
  });
}

test('the reclaim message says when it happened and when ECI gave notice', (t) => {
  const { status } = groupToPodStatus(group('Expired', [KILLED], { expiredTime: '2026-11-24T09:59:59Z', events: [NOTICE] }), pod(), NOW);
  t.regex(status.message!, /eci-abc at 2026-11-24T09:59:59Z after its SpotToBeReleased notice at 2026-11-24T09:56:59Z/);
  t.deepEqual(status.containerStatuses![0].state!.terminated!.finishedAt, new Date('2026-11-24T09:59:59Z'));
});

test('the reclaim status and event are the same on every later observation (one Event, not one per poll)', (t) => {
  const g = group('Expired', [KILLED], { expiredTime: '2026-11-24T09:59:59Z', events: [NOTICE] });
  const first = groupToPodStatus(g, pod(), NOW);
  const later = groupToPodStatus(g, { ...pod(), status: first.status }, new Date(NOW.getTime() + 60_000));
  const key = (r: typeof first) => r.events.filter((e) => e.reason === SPOT_RECLAIMED_REASON).map((e) => `${e.type}|${e.message}|${e.count}`);
  t.deepEqual(key(later), key(first));
  t.is(later.status.message, first.status.message);
});
