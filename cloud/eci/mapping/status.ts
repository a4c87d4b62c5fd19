// ECI ContainerGroup (DescribeContainerGroups model) -> Kubernetes PodStatus + Warning/Normal events: phase,
// conditions (keeping lastTransitionTime when unchanged), container/init-container states, IPs, start time,
// QoS class, and readable reasons for ECI failures (out of stock, quota, image pull, spot reclaim, back-off).
import type * as $Eci from '@alicloud/eci20180808';
import type { V1Pod, V1PodStatus, V1PodCondition, V1ContainerStatus, V1ContainerState, V1Container } from '@kubernetes/client-node';
import { qosClassOf } from './resources.js';
import { classifyProviderReason } from './errors.js';
import { EGRESS_CONTAINER } from './egress.js';
import { SPOT_RECLAIMED_REASON, isSpotReclaimed, isSpotReleaseCause, spotReclaimedMessage } from './spot.js';

export type EciGroup = $Eci.DescribeContainerGroupsResponseBodyContainerGroups;
type EciContainerState = $Eci.DescribeContainerGroupsResponseBodyContainerGroupsContainersCurrentState;

export interface PodEvent {
  type: 'Normal' | 'Warning';
  reason: string;
  message: string;
  count: number;
  firstTimestamp: Date;
  lastTimestamp: Date;
}

interface PodStatusResult {
  status: V1PodStatus;
  events: PodEvent[];
}

/** ECI group Status -> Kubernetes phase (notes §4). Restarting/Updating keep Running for a pod that already ran. */
export const PHASE_BY_STATUS: Record<string, string> = {
  Scheduling: 'Pending', ScheduleFailed: 'Failed', Pending: 'Pending', Running: 'Running', Restarting: 'Pending',
  Updating: 'Pending', Terminating: 'Running', Succeeded: 'Succeeded', Failed: 'Failed', Expired: 'Failed',
};
const TERMINATED_STATES = new Set(['Terminated', 'Succeeded', 'Failed', 'Canceled']);
const IMAGE_PULL_REASONS = new Set(['ErrImagePull', 'ImagePullBackOff', 'ErrImageNeverPull', 'InvalidImageName', 'RegistryUnavailable']);

function containerIdFor(groupId: string | undefined, name: string): string {
  return `eci://${groupId ?? 'unknown'}/${name}`;
}

function toDate(s: string | undefined): Date | undefined {
  if (!s) return undefined;
  const d = new Date(s);
  return Number.isNaN(d.getTime()) ? undefined : d;
}

function phaseOf(group: EciGroup, pod: V1Pod): string {
  const s = group.status ?? '';
  const mapped = PHASE_BY_STATUS[s];
  if (!mapped) return 'Unknown';
  if ((s === 'Restarting' || s === 'Updating') && pod.status?.phase === 'Running') return 'Running';
  return mapped;
}

/** CurrentState/PreviousState -> V1ContainerState. */
function stateOf(st: EciContainerState | undefined, containerID: string, restartCount: number, hadPrevious: boolean): V1ContainerState {
  const state = st?.state ?? '';
  if (state === 'Running') return { running: { startedAt: toDate(st?.startTime) ?? new Date(0) } };
  if (TERMINATED_STATES.has(state)) {
    const exitCode = st?.exitCode ?? (state === 'Succeeded' ? 0 : 1);
    return {
      terminated: {
        exitCode,
        signal: st?.signal || undefined,
        reason: st?.reason || (state === 'Canceled' ? 'Canceled' : undefined) || st?.detailStatus || (exitCode === 0 ? 'Completed' : 'Error'),
        message: st?.message || undefined,
        startedAt: toDate(st?.startTime),
        finishedAt: toDate(st?.finishTime),
        containerID,
      },
    };
  }
  let reason = st?.reason || st?.detailStatus || 'ContainerCreating';
  let message = st?.message || undefined;
  if (/CrashLoopBackOff|BackOff/i.test(reason) && !IMAGE_PULL_REASONS.has(reason)) reason = 'CrashLoopBackOff';
  else if (state === 'Waiting' && restartCount > 0 && hadPrevious && reason === 'ContainerCreating') reason = 'CrashLoopBackOff';
  if (reason === 'CrashLoopBackOff' && !message) message = 'back-off restarting failed container';
  return { waiting: { reason, message } };
}

interface EciContainerLike {
  name?: string; image?: string; ready?: boolean; restartCount?: number;
  currentState?: EciContainerState; previousState?: EciContainerState;
}

function containerStatus(spec: V1Container, eci: EciContainerLike | undefined, groupId: string | undefined, init: boolean): V1ContainerStatus {
  if (!eci) {
    return { name: spec.name, image: spec.image ?? '', imageID: '', ready: false, restartCount: 0, started: false, state: { waiting: { reason: init ? 'PodInitializing' : 'ContainerCreating' } } };
  }
  const containerID = containerIdFor(groupId, spec.name);
  const restartCount = eci.restartCount ?? 0;
  const hadPrevious = TERMINATED_STATES.has(eci.previousState?.state ?? '');
  const state = stateOf(eci.currentState, containerID, restartCount, hadPrevious);
  const lastState = hadPrevious ? stateOf(eci.previousState, containerID, restartCount, false) : {};
  const image = eci.image || spec.image || '';
  const created = state.running !== undefined || state.terminated !== undefined || restartCount > 0;
  const ready = init ? state.terminated?.exitCode === 0 : state.running !== undefined && eci.ready === true;
  return {
    name: spec.name,
    image,
    imageID: created ? image : '',
    containerID: created ? containerID : undefined,
    ready,
    started: init ? undefined : state.running !== undefined,
    restartCount,
    state,
    lastState,
  };
}

function condition(type: string, ok: boolean, now: Date, pod: V1Pod, reason?: string, message?: string): V1PodCondition {
  const status = ok ? 'True' : 'False';
  const prev = pod.status?.conditions?.find((c) => c.type === type);
  const lastTransitionTime = prev && prev.status === status && prev.lastTransitionTime ? new Date(prev.lastTransitionTime) : now;
  return { type, status, lastTransitionTime, lastProbeTime: undefined, reason: ok ? undefined : reason, message: ok ? undefined : message };
}

/** Reason/message on PodStatus for failed or reclaimed groups, from the group state and its events. */
function failureOf(group: EciGroup): { reason: string; message: string } | undefined {
  const status = group.status;
  if (isSpotReclaimed(group)) return { reason: SPOT_RECLAIMED_REASON, message: spotReclaimedMessage(group) };
  if (status !== 'ScheduleFailed' && status !== 'Failed') return undefined;
  const warnings = (group.events ?? []).filter((e) => e.type === 'Warning');
  for (const e of [...warnings].reverse()) {
    const c = classifyProviderReason(`${e.reason ?? ''} ${e.message ?? ''}`);
    if (c) return { reason: c.reason, message: `${c.message}${e.message ? ` (ECI: ${e.message})` : ''}` };
  }
  if (status === 'ScheduleFailed') {
    const last = warnings[warnings.length - 1];
    return { reason: 'ProviderScheduleFailed', message: `ECI could not create the instance${last?.message ? `: ${last.message}` : ''}` };
  }
  return undefined;
}

/**
 * A container of a reclaimed spot group: one that still ran or waited was killed by the release (137, as SIGKILL);
 * one ECI marked with the release cause shows the gateway's reason; one that had already finished keeps its state.
 */
function reclaimedContainer(s: V1ContainerStatus, releasedAt: Date | undefined): void {
  s.ready = false;
  if (s.started !== undefined) s.started = false;
  const t = s.state?.terminated;
  if (t) {
    if (isSpotReleaseCause(t.reason)) t.reason = SPOT_RECLAIMED_REASON;
    return;
  }
  const message = 'the container was stopped when Alibaba Cloud reclaimed the spot ECI instance';
  s.state = { terminated: { exitCode: 137, reason: SPOT_RECLAIMED_REASON, message, startedAt: s.state?.running?.startedAt, finishedAt: releasedAt, containerID: s.containerID } };
}

function addEvent(map: Map<string, PodEvent>, e: PodEvent): void {
  const key = `${e.reason}\u0000${e.message}`;
  const prev = map.get(key);
  if (!prev) { map.set(key, { ...e }); return; }
  prev.count += e.count;
  if (e.firstTimestamp < prev.firstTimestamp) prev.firstTimestamp = e.firstTimestamp;
  if (e.lastTimestamp > prev.lastTimestamp) prev.lastTimestamp = e.lastTimestamp;
  if (e.type === 'Warning') prev.type = 'Warning';
}

export function groupToPodStatus(group: EciGroup, pod: V1Pod, now: Date = new Date(), hostIP?: string): PodStatusResult {
  const spec = pod.spec ?? { containers: [] };
  const groupId = group.containerGroupId;
  const byName = new Map((group.containers ?? []).map((c) => [c.name ?? '', c as EciContainerLike]));
  const initByName = new Map((group.initContainers ?? []).map((c) => [c.name ?? '', c as EciContainerLike]));
  const phase = phaseOf(group, pod);
  const initStatuses = (spec.initContainers ?? []).map((c) => {
    const s = containerStatus(c, initByName.get(c.name), groupId, true);
    // Once the app containers run (or the pod succeeded), init containers are done even if ECI no longer lists them.
    if (!initByName.has(c.name) && (phase === 'Running' || phase === 'Succeeded')) {
      s.state = { terminated: { exitCode: 0, reason: 'Completed' } };
      s.ready = true;
    }
    return s;
  });
  const statuses = (spec.containers ?? []).map((c) => containerStatus(c, byName.get(c.name), groupId, false));
  if (isSpotReclaimed(group)) {
    const releasedAt = toDate(group.expiredTime || group.failedTime);
    for (const s of [...initStatuses, ...statuses]) reclaimedContainer(s, releasedAt);
  } else if (phase === 'Failed' || phase === 'Succeeded') {
    for (const s of statuses) {
      if (s.state?.waiting) s.state = { terminated: { exitCode: phase === 'Succeeded' ? 0 : 137, reason: 'ContainerStatusUnknown', message: 'the container did not report a final state before the ECI instance ended' } };
      s.ready = false;
    }
  }

  const scheduled = group.status !== 'ScheduleFailed';
  const failure = failureOf(group);
  const pendingInit = initStatuses.filter((s) => !(s.state?.terminated?.exitCode === 0)).map((s) => s.name);
  const initialized = pendingInit.length === 0;
  const unready = statuses.filter((s) => !s.ready).map((s) => s.name);
  const completed = phase === 'Succeeded' || phase === 'Failed';
  const readyReason = completed ? 'PodCompleted' : 'ContainersNotReady';
  const readyMessage = completed ? undefined : `containers with unready status: [${unready.join(' ')}]`;
  const allReady = unready.length === 0 && !completed;
  const conditions: V1PodCondition[] = [
    condition('PodScheduled', scheduled, now, pod, 'Unschedulable', failure?.message ?? 'ECI could not schedule the instance'),
    condition('Initialized', initialized, now, pod, 'ContainersNotInitialized', `containers with incomplete status: [${pendingInit.join(' ')}]`),
    condition('ContainersReady', allReady, now, pod, readyReason, readyMessage),
    condition('Ready', allReady, now, pod, readyReason, readyMessage),
  ];

  const podIPs = [group.intranetIp, group.ipv6Address].filter((ip): ip is string => !!ip).map((ip) => ({ ip }));
  const host = hostIP ?? group.intranetIp;
  const status: V1PodStatus = {
    phase,
    conditions,
    hostIP: host,
    hostIPs: host ? [{ ip: host }] : undefined,
    podIP: group.intranetIp || undefined,
    podIPs: podIPs.length > 0 ? podIPs : undefined,
    startTime: toDate(group.creationTime),
    qosClass: qosClassOf(pod),
    initContainerStatuses: initStatuses.length > 0 ? initStatuses : undefined,
    containerStatuses: statuses,
    reason: failure?.reason,
    message: failure?.message ?? (phase === 'Unknown' ? `ECI reported unknown status "${group.status ?? ''}"` : undefined),
  };

  const events = new Map<string, PodEvent>();
  for (const e of group.events ?? []) {
    const first = toDate(e.firstTimestamp) ?? toDate(e.lastTimestamp) ?? now;
    const last = toDate(e.lastTimestamp) ?? first;
    const known = classifyProviderReason(`${e.reason ?? ''} ${e.message ?? ''}`);
    addEvent(events, {
      type: e.type === 'Warning' ? 'Warning' : 'Normal',
      reason: e.reason && !/\./.test(e.reason) ? e.reason : known?.reason ?? e.reason ?? 'ProviderEvent',
      message: e.message ?? '',
      count: Math.max(1, e.count ?? 1),
      firstTimestamp: first,
      lastTimestamp: last,
    });
  }
  if (failure) addEvent(events, { type: 'Warning', reason: failure.reason, message: failure.message, count: 1, firstTimestamp: now, lastTimestamp: now });
  for (const s of [...initStatuses, ...statuses]) {
    const w = s.state?.waiting;
    if (!w?.reason) continue;
    if (IMAGE_PULL_REASONS.has(w.reason)) {
      addEvent(events, { type: 'Warning', reason: w.reason === 'ImagePullBackOff' ? 'BackOff' : 'Failed', message: `${w.reason}: image "${s.image}" for container ${s.name}${w.message ? `: ${w.message}` : ''}`, count: 1, firstTimestamp: now, lastTimestamp: now });
    } else if (w.reason === 'CrashLoopBackOff') {
      addEvent(events, { type: 'Warning', reason: 'BackOff', message: `Back-off restarting failed container ${s.name}`, count: 1, firstTimestamp: now, lastTimestamp: now });
    }
  }
  // The egress sidecar is not in the pod's spec, so no container status shows it: say when it does not run.
  const sidecar = byName.get(EGRESS_CONTAINER);
  if (sidecar && phase === 'Running') {
    const st = containerStatus({ name: EGRESS_CONTAINER }, sidecar, groupId, false);
    if (!st.state?.running) {
      const why = st.state?.waiting?.reason ?? (st.state?.terminated ? `exited with ${st.state.terminated.exitCode}` : 'not running');
      addEvent(events, { type: 'Warning', reason: 'EgressSidecarNotRunning', message: `the egress sidecar ${EGRESS_CONTAINER} is ${why} (restarts: ${st.restartCount}): on-prem Services exported to burst pods do not resolve from this pod until it runs`, count: 1, firstTimestamp: now, lastTimestamp: now });
    }
  }
  return { status, events: [...events.values()] };
}
