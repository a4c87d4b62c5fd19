import test from 'ava';
import * as $Eci from '@alicloud/eci20180808';
import type { V1Pod } from '@kubernetes/client-node';
import { groupToPodStatus, PHASE_BY_STATUS } from '../../../../cloud/eci/mapping/status.js';
import { pod, container } from './fixtures.js';

const NOW = new Date('2026-11-24T10:00:00Z');
type GroupInit = ConstructorParameters<typeof $Eci.DescribeContainerGroupsResponseBodyContainerGroups>[0];
type State = { state?: string; detailStatus?: string; reason?: string; message?: string; exitCode?: number; signal?: number; startTime?: string; finishTime?: string };

function group(status: string, containers: Array<{ name?: string; ready?: boolean; restartCount?: number; currentState?: State; previousState?: State; image?: string }> = [], extra: GroupInit = {}) {
  return new $Eci.DescribeContainerGroupsResponseBodyContainerGroups({
    containerGroupId: 'eci-abc', containerGroupName: 'shop-web-0', status, intranetIp: '192.168.1.10',
    creationTime: '2026-11-24T09:58:00Z',
    containers: containers.map((c) => new $Eci.DescribeContainerGroupsResponseBodyContainerGroupsContainers({
      name: 'app', image: 'nginx:1.27', ...c,
      currentState: c.currentState && new $Eci.DescribeContainerGroupsResponseBodyContainerGroupsContainersCurrentState(c.currentState),
      previousState: c.previousState && new $Eci.DescribeContainerGroupsResponseBodyContainerGroupsContainersPreviousState(c.previousState),
    })),
    ...extra,
  });
}

const running: State = { state: 'Running', startTime: '2026-11-24T09:59:00Z' };

const PHASES: Array<[string, string, V1Pod['status'] | undefined]> = [
  ['Scheduling', 'Pending', undefined], ['ScheduleFailed', 'Failed', undefined], ['Pending', 'Pending', undefined],
  ['Running', 'Running', undefined], ['Restarting', 'Pending', undefined], ['Restarting', 'Running', { phase: 'Running' }],
  ['Updating', 'Pending', undefined], ['Updating', 'Running', { phase: 'Running' }], ['Terminating', 'Running', undefined],
  ['Succeeded', 'Succeeded', undefined], ['Failed', 'Failed', undefined], ['Expired', 'Failed', undefined], ['Bogus', 'Unknown', undefined],
];
for (const [eci, phase, prev] of PHASES) {
  test(`phase: ECI ${eci}${prev ? ' (pod was Running)' : ''} -> ${phase}`, (t) => {
    const p = pod(); p.status = prev;
    const { status } = groupToPodStatus(group(eci, [{ ready: eci === 'Running', currentState: running }]), p, NOW);
    t.is(status.phase, phase);
  });
}

test('every documented ECI status has a phase', (t) => {
  t.deepEqual(Object.keys(PHASE_BY_STATUS).sort(), ['Expired', 'Failed', 'Pending', 'Restarting', 'Running', 'ScheduleFailed', 'Scheduling', 'Succeeded', 'Terminating', 'Updating']);
});

const CONTAINER_STATES: Array<[string, { ready?: boolean; restartCount?: number; currentState?: State; previousState?: State } | undefined, (t: import('ava').ExecutionContext, s: NonNullable<ReturnType<typeof groupToPodStatus>['status']['containerStatuses']>[number]) => void]> = [
  ['missing from group -> waiting ContainerCreating', undefined, (t, s) => { t.is(s.state!.waiting!.reason, 'ContainerCreating'); t.false(s.ready); t.is(s.containerID, undefined); t.is(s.imageID, ''); t.is(s.image, 'nginx:1.27'); }],
  ['running + ready', { ready: true, currentState: running }, (t, s) => {
    t.deepEqual(s.state!.running!.startedAt, new Date('2026-11-24T09:59:00Z')); t.true(s.ready); t.true(s.started);
    t.is(s.containerID, 'eci://eci-abc/app'); t.is(s.imageID, 'nginx:1.27');
  }],
  ['running, not ready', { ready: false, currentState: running }, (t, s) => { t.truthy(s.state!.running); t.false(s.ready); t.true(s.started); }],
  ['waiting with image pull error', { currentState: { state: 'Waiting', reason: 'ErrImagePull', message: 'manifest unknown' } }, (t, s) => { t.deepEqual(s.state!.waiting, { reason: 'ErrImagePull', message: 'manifest unknown' }); }],
  ['waiting ImagePullBackOff via DetailStatus', { currentState: { state: 'Waiting', detailStatus: 'ImagePullBackOff' } }, (t, s) => { t.is(s.state!.waiting!.reason, 'ImagePullBackOff'); }],
  ['waiting CrashLoopBackOff reported by ECI', { restartCount: 3, currentState: { state: 'Waiting', reason: 'CrashLoopBackOff' }, previousState: { state: 'Terminated', exitCode: 1, reason: 'Error' } }, (t, s) => {
    t.is(s.state!.waiting!.reason, 'CrashLoopBackOff'); t.is(s.restartCount, 3); t.is(s.lastState!.terminated!.exitCode, 1); t.is(s.lastState!.terminated!.reason, 'Error');
  }],
  ['waiting after restarts without reason -> CrashLoopBackOff', { restartCount: 2, currentState: { state: 'Waiting' }, previousState: { state: 'Terminated', exitCode: 2 } }, (t, s) => { t.is(s.state!.waiting!.reason, 'CrashLoopBackOff'); t.regex(s.state!.waiting!.message!, /back-off/); }],
  ['waiting, no reason -> ContainerCreating', { currentState: { state: 'Waiting' } }, (t, s) => { t.is(s.state!.waiting!.reason, 'ContainerCreating'); }],
  ['terminated exit 0 -> Completed', { currentState: { state: 'Terminated', exitCode: 0, startTime: '2026-11-24T09:59:00Z', finishTime: '2026-11-24T09:59:30Z' } }, (t, s) => {
    t.like(s.state!.terminated, { exitCode: 0, reason: 'Completed', containerID: 'eci://eci-abc/app' });
    t.deepEqual(s.state!.terminated!.finishedAt, new Date('2026-11-24T09:59:30Z'));
  }],
  ['terminated OOMKilled with signal', { currentState: { state: 'Terminated', exitCode: 137, signal: 9, reason: 'OOMKilled', message: 'memory limit' } }, (t, s) => { t.like(s.state!.terminated, { exitCode: 137, signal: 9, reason: 'OOMKilled', message: 'memory limit' }); }],
  ['terminated exit 1 no reason -> Error', { currentState: { state: 'Terminated', exitCode: 1 } }, (t, s) => { t.is(s.state!.terminated!.reason, 'Error'); }],
  ['legacy Succeeded/Failed/Canceled states', { currentState: { state: 'Canceled' } }, (t, s) => { t.like(s.state!.terminated, { exitCode: 1, reason: 'Canceled' }); }],
  ['running after a restart keeps lastState', { ready: true, restartCount: 1, currentState: running, previousState: { state: 'Terminated', exitCode: 137, reason: 'OOMKilled', finishTime: '2026-11-24T09:58:59Z' } }, (t, s) => {
    t.truthy(s.state!.running); t.is(s.lastState!.terminated!.reason, 'OOMKilled'); t.is(s.restartCount, 1);
  }],
];
for (const [name, eciContainer, check] of CONTAINER_STATES) {
  test(`container state: ${name}`, (t) => {
    const { status } = groupToPodStatus(group('Running', eciContainer ? [eciContainer] : []), pod(), NOW);
    check(t, status.containerStatuses![0]);
  });
}

function cond(status: ReturnType<typeof groupToPodStatus>['status'], type: string) {
  return status.conditions!.find((c) => c.type === type)!;
}

test('conditions: running and ready', (t) => {
  const { status } = groupToPodStatus(group('Running', [{ ready: true, currentState: running }]), pod(), NOW);
  for (const type of ['PodScheduled', 'Initialized', 'ContainersReady', 'Ready']) t.is(cond(status, type).status, 'True', type);
  t.deepEqual(cond(status, 'Ready').lastTransitionTime, NOW);
});

test('conditions: not ready names the containers; lastTransitionTime kept when unchanged, reset when flipped', (t) => {
  const earlier = new Date('2026-11-24T09:00:00Z');
  const p = pod({ containers: [container(), container({ name: 'side' })] });
  p.status = { conditions: [{ type: 'Ready', status: 'False', lastTransitionTime: earlier }, { type: 'PodScheduled', status: 'True', lastTransitionTime: earlier }, { type: 'Initialized', status: 'False', lastTransitionTime: earlier }] };
  const { status } = groupToPodStatus(group('Running', [{ ready: true, currentState: running }, { name: 'side', ready: false, currentState: running }]), p, NOW);
  t.like(cond(status, 'Ready'), { status: 'False', reason: 'ContainersNotReady', message: 'containers with unready status: [side]' });
  t.deepEqual(cond(status, 'Ready').lastTransitionTime, earlier);
  t.deepEqual(cond(status, 'PodScheduled').lastTransitionTime, earlier);
  t.deepEqual(cond(status, 'Initialized').lastTransitionTime, NOW, 'Initialized flipped to True');
});

test('init containers: running init keeps Initialized False; completed init -> True', (t) => {
  const p = pod({ initContainers: [container({ name: 'init', image: 'busybox' })] });
  const initGroup = (st: State) => group('Pending', [], { initContainers: [new $Eci.DescribeContainerGroupsResponseBodyContainerGroupsInitContainers({ name: 'init', image: 'busybox', currentState: new $Eci.DescribeContainerGroupsResponseBodyContainerGroupsInitContainersCurrentState(st) })] });
  const a = groupToPodStatus(initGroup({ state: 'Running' }), p, NOW).status;
  t.like(cond(a, 'Initialized'), { status: 'False', reason: 'ContainersNotInitialized', message: 'containers with incomplete status: [init]' });
  t.truthy(a.initContainerStatuses![0].state!.running);
  t.is(a.containerStatuses![0].state!.waiting!.reason, 'ContainerCreating');
  const b = groupToPodStatus(initGroup({ state: 'Terminated', exitCode: 0 }), p, NOW).status;
  t.is(cond(b, 'Initialized').status, 'True');
  t.true(b.initContainerStatuses![0].ready);
  const c = groupToPodStatus(group('Scheduling'), p, NOW).status;
  t.is(c.initContainerStatuses![0].state!.waiting!.reason, 'PodInitializing');
  const d = groupToPodStatus(group('Running', [{ ready: true, currentState: running }]), p, NOW).status;
  t.is(d.initContainerStatuses![0].state!.terminated!.reason, 'Completed', 'init done once app containers run');
});

test('ips, start time, hostIP choice and qosClass', (t) => {
  const p = pod({ containers: [container({ resources: { limits: { cpu: '1', memory: '1Gi' } } })] });
  const a = groupToPodStatus(group('Running', [{ ready: true, currentState: running }], { ipv6Address: 'fd00::1' }), p, NOW).status;
  t.is(a.podIP, '192.168.1.10');
  t.deepEqual(a.podIPs, [{ ip: '192.168.1.10' }, { ip: 'fd00::1' }]);
  t.is(a.hostIP, '192.168.1.10');
  t.deepEqual(a.startTime, new Date('2026-11-24T09:58:00Z'));
  t.is(a.qosClass, 'Guaranteed');
  const b = groupToPodStatus(group('Running', []), pod(), NOW, '10.0.0.5').status;
  t.is(b.hostIP, '10.0.0.5');
  t.deepEqual(b.hostIPs, [{ ip: '10.0.0.5' }]);
  t.is(b.qosClass, 'BestEffort');
  const c = groupToPodStatus(group('Scheduling', [], { intranetIp: '' }), pod(), NOW).status;
  t.is(c.podIP, undefined);
});

test('ScheduleFailed out of stock: PodScheduled False, readable reason, Warning event', (t) => {
  const g = group('ScheduleFailed', [], { events: [new $Eci.DescribeContainerGroupsResponseBodyContainerGroupsEvents({ type: 'Warning', reason: 'RecommendEmpty.InstanceTypeNoStock', message: 'The instance type is out of stock', count: 2, firstTimestamp: '2026-11-24T09:58:10Z', lastTimestamp: '2026-11-24T09:58:40Z' })] });
  const { status, events } = groupToPodStatus(g, pod(), NOW);
  t.is(status.phase, 'Failed');
  t.is(status.reason, 'OutOfStock');
  t.regex(status.message!, /eci-vswitch|eci-use-specs/);
  t.like(cond(status, 'PodScheduled'), { status: 'False', reason: 'Unschedulable' });
  const ev = events.find((e) => e.reason === 'OutOfStock' && e.count === 2);
  t.truthy(ev, JSON.stringify(events));
  t.is(ev!.type, 'Warning');
  t.deepEqual(ev!.firstTimestamp, new Date('2026-11-24T09:58:10Z'));
  t.true(events.some((e) => e.reason === 'OutOfStock' && e.message === status.message));
  t.is(status.containerStatuses![0].state!.terminated!.reason, 'ContainerStatusUnknown');
});

test('quota failure and generic ScheduleFailed', (t) => {
  const q = groupToPodStatus(group('ScheduleFailed', [], { events: [new $Eci.DescribeContainerGroupsResponseBodyContainerGroupsEvents({ type: 'Warning', reason: 'QuotaExceed.ElasticQuota', message: 'quota exceeded' })] }), pod(), NOW).status;
  t.is(q.reason, 'QuotaExceeded');
  const g = groupToPodStatus(group('ScheduleFailed', [], { events: [new $Eci.DescribeContainerGroupsResponseBodyContainerGroupsEvents({ type: 'Warning', reason: 'Mystery', message: 'something broke' })] }), pod(), NOW).status;
  t.is(g.reason, 'ProviderScheduleFailed');
  t.regex(g.message!, /something broke/);
});

test('spot Expired: Failed with SpotInstanceReclaimed reason and event', (t) => {
  const { status, events } = groupToPodStatus(group('Expired', [{ currentState: running }], { expiredTime: '2026-11-24T09:59:59Z' }), pod(), NOW);
  t.is(status.phase, 'Failed');
  t.is(status.reason, 'SpotInstanceReclaimed');
  t.regex(status.message!, /2026-11-24T09:59:59Z/);
  t.true(events.some((e) => e.type === 'Warning' && e.reason === 'SpotInstanceReclaimed'));
  t.like(cond(status, 'Ready'), { status: 'False', reason: 'PodCompleted' });
  t.false(status.containerStatuses![0].ready);
});

test('Succeeded: containers completed, Ready False with PodCompleted', (t) => {
  const { status } = groupToPodStatus(group('Succeeded', [{ ready: false, currentState: { state: 'Terminated', exitCode: 0 } }]), pod(), NOW);
  t.is(status.phase, 'Succeeded');
  t.like(cond(status, 'Ready'), { status: 'False', reason: 'PodCompleted' });
  t.is(status.containerStatuses![0].state!.terminated!.reason, 'Completed');
});

test('events: group events deduped by reason+message with summed counts; image pull and back-off synthesised', (t) => {
  const E = $Eci.DescribeContainerGroupsResponseBodyContainerGroupsEvents;
  const g = group('Running', [{ restartCount: 4, currentState: { state: 'Waiting', reason: 'CrashLoopBackOff' }, previousState: { state: 'Terminated', exitCode: 1 } }], {
    containers: [
      new $Eci.DescribeContainerGroupsResponseBodyContainerGroupsContainers({ name: 'app', image: 'nginx:1.27', restartCount: 4, currentState: new $Eci.DescribeContainerGroupsResponseBodyContainerGroupsContainersCurrentState({ state: 'Waiting', reason: 'CrashLoopBackOff' }) }),
      new $Eci.DescribeContainerGroupsResponseBodyContainerGroupsContainers({ name: 'side', image: 'bad:tag', currentState: new $Eci.DescribeContainerGroupsResponseBodyContainerGroupsContainersCurrentState({ state: 'Waiting', reason: 'ErrImagePull', message: 'not found' }) }),
    ],
    events: [
      new E({ type: 'Normal', reason: 'Pulled', message: 'pulled nginx', count: 1, firstTimestamp: '2026-11-24T09:59:00Z', lastTimestamp: '2026-11-24T09:59:00Z' }),
      new E({ type: 'Normal', reason: 'Pulled', message: 'pulled nginx', count: 2, firstTimestamp: '2026-11-24T09:58:00Z', lastTimestamp: '2026-11-24T09:59:30Z' }),
      new E({ type: 'Warning', reason: 'BackOff', message: 'Back-off restarting failed container app', count: 5, firstTimestamp: '2026-11-24T09:59:10Z', lastTimestamp: '2026-11-24T09:59:50Z' }),
    ],
  });
  const { events } = groupToPodStatus(g, pod({ containers: [container(), container({ name: 'side', image: 'bad:tag' })] }), NOW);
  const pulled = events.filter((e) => e.reason === 'Pulled');
  t.is(pulled.length, 1);
  t.like(pulled[0], { type: 'Normal', count: 3 });
  t.deepEqual(pulled[0].firstTimestamp, new Date('2026-11-24T09:58:00Z'));
  t.deepEqual(pulled[0].lastTimestamp, new Date('2026-11-24T09:59:30Z'));
  const backoff = events.filter((e) => e.reason === 'BackOff' && e.message.includes('container app'));
  t.is(backoff.length, 1, JSON.stringify(events));
  t.is(backoff[0].count, 6, 'synthesised back-off merges into the ECI event');
  const pull = events.find((e) => e.reason === 'Failed');
  t.truthy(pull);
  t.is(pull!.type, 'Warning');
  t.regex(pull!.message, /ErrImagePull.*bad:tag.*not found/);
});

test('random ECI groups never throw and always give a valid phase and one status per spec container (fuzz)', (t) => {
  const statuses = [...Object.keys(PHASE_BY_STATUS), 'Weird', ''];
  const states = ['Running', 'Waiting', 'Terminated', 'Succeeded', 'Failed', 'Canceled', '', 'Odd'];
  const reasons = [undefined, '', 'ErrImagePull', 'CrashLoopBackOff', 'OOMKilled', 'Completed', 'RecommendEmpty.InstanceTypeNoStock'];
  let seed = 11;
  const pick = <T>(xs: readonly T[]): T => { seed = (seed * 1103515245 + 12345) % 2 ** 31; return xs[seed % xs.length]; };
  const p = pod({ containers: [container(), container({ name: 'b' })], initContainers: [container({ name: 'i' })] });
  for (let i = 0; i < 300; i++) {
    const st = (): State => ({ state: pick(states), reason: pick(reasons), exitCode: pick([undefined, 0, 1, 137]), startTime: pick([undefined, 'garbage', '2026-11-24T09:59:00Z']) });
    const g = group(pick(statuses), [{ name: pick(['app', 'b', 'zzz']), ready: pick([true, false, undefined]), restartCount: pick([0, 1, 5]), currentState: st(), previousState: pick([undefined, st()]) }], {
      events: [new $Eci.DescribeContainerGroupsResponseBodyContainerGroupsEvents({ type: pick(['Warning', 'Normal', undefined]), reason: pick(reasons), message: pick(['', 'm']), firstTimestamp: pick([undefined, 'bad']) })],
    });
    const { status, events } = groupToPodStatus(g, p, NOW);
    t.true(['Pending', 'Running', 'Succeeded', 'Failed', 'Unknown'].includes(status.phase!));
    t.is(status.containerStatuses!.length, 2);
    t.is(status.initContainerStatuses!.length, 1);
    for (const s of status.containerStatuses!) t.is(Object.keys(s.state!).length, 1);
    for (const e of events) t.true(e.count >= 1 && !Number.isNaN(e.firstTimestamp.getTime()));
  }
});

test('egress sidecar: no container status, but a Warning Event while it does not run', (t) => {
  const p = pod();
  const ok = groupToPodStatus(group('Running', [{ ready: true, currentState: running }, { name: 'ecigw-egress', ready: true, currentState: running }]), p, NOW);
  t.deepEqual(ok.status.containerStatuses?.map((c) => c.name), ['app'], 'only the pod\'s own containers');
  t.false(ok.events.some((e) => e.reason === 'EgressSidecarNotRunning'));
  const down = groupToPodStatus(group('Running', [{ ready: true, currentState: running }, { name: 'ecigw-egress', restartCount: 3, currentState: { state: 'Waiting', reason: 'CrashLoopBackOff' } }]), p, NOW);
  const e = down.events.find((x) => x.reason === 'EgressSidecarNotRunning');
  t.is(e?.type, 'Warning');
  t.regex(e?.message ?? '', /CrashLoopBackOff \(restarts: 3\): on-prem Services/);
  t.is(down.status.phase, 'Running', 'the pod itself keeps running');
});
