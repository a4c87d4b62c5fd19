// Pure helpers for pod status the agent writes itself: failing a pod it cannot run on ECI, and the
// waiting state of a pod whose references cannot be resolved yet; and deciding whether a write is needed.
import type { V1Pod, V1PodStatus, V1ContainerStatus } from '@kubernetes/client-node';

/** Status of a pod the virtual node refuses (as the kubelet does on admission failure): phase Failed. */
export function failedStatus(pod: V1Pod, reason: string, message: string, now: Date): V1PodStatus {
  return {
    ...pod.status,
    phase: 'Failed',
    reason,
    message,
    conditions: [
      { type: 'PodScheduled', status: 'True', lastTransitionTime: now },
      { type: 'Ready', status: 'False', reason, message, lastTransitionTime: now },
    ],
    containerStatuses: (pod.spec?.containers ?? []).map((c): V1ContainerStatus => ({
      name: c.name,
      image: c.image ?? '',
      imageID: '',
      ready: false,
      restartCount: 0,
      state: { terminated: { exitCode: 128, reason, message, startedAt: now, finishedAt: now } },
    })),
  };
}

/** Pending with every container waiting for `reason` (e.g. CreateContainerConfigError). */
export function waitingStatus(pod: V1Pod, reason: string, message: string, now: Date): V1PodStatus {
  const waiting = (name: string, image: string | undefined): V1ContainerStatus => ({
    name,
    image: image ?? '',
    imageID: '',
    ready: false,
    restartCount: 0,
    state: { waiting: { reason, message } },
  });
  return {
    ...pod.status,
    phase: 'Pending',
    conditions: [
      { type: 'PodScheduled', status: 'True', lastTransitionTime: now },
      { type: 'Ready', status: 'False', reason: 'ContainersNotReady', message, lastTransitionTime: now },
    ],
    containerStatuses: (pod.spec?.containers ?? []).map((c) => waiting(c.name, c.image)),
    initContainerStatuses: pod.spec?.initContainers?.map((c) => waiting(c.name, c.image)),
  };
}

/** Whether `next` differs from `current` in anything a reader cares about (times of equal conditions excluded). */
export function podStatusDiffers(current: V1PodStatus | undefined, next: V1PodStatus): boolean {
  const norm = (s: V1PodStatus | undefined) =>
    JSON.stringify(
      s
        ? {
            ...s,
            startTime: s.startTime ? new Date(s.startTime).toISOString() : undefined,
            conditions: (s.conditions ?? []).map((c) => [c.type, c.status, c.reason ?? '', c.message ?? '']).sort(),
            containerStatuses: s.containerStatuses?.map((c) => JSON.stringify(c)).sort(),
            initContainerStatuses: s.initContainerStatuses?.map((c) => JSON.stringify(c)).sort(),
          }
        : null,
      (_k, v: unknown) => (v instanceof Date ? v.toISOString() : v),
    );
  return norm(current) !== norm(next);
}

export const isTerminal = (pod: V1Pod) => pod.status?.phase === 'Succeeded' || pod.status?.phase === 'Failed';

/** JSON merge patch body for the pod's status subresource (which also keeps annotations it carries). */
export interface StatusPatch {
  metadata: { uid: string; annotations?: Record<string, string> };
  status: Record<string, unknown>;
}

/**
 * Top-level status fields the virtual kubelet owns: a status that lacks one means "not set", so the
 * patch clears it even when the cached pod (possibly older than our last write) does not show it.
 */
const OWNED_STATUS_FIELDS = ['phase', 'conditions', 'message', 'reason', 'hostIP', 'hostIPs', 'podIP', 'podIPs', 'startTime', 'initContainerStatuses', 'containerStatuses', 'ephemeralContainerStatuses'];

/**
 * The merge patch that turns the pod's status into `next` as a whole-status write would: every
 * top-level field of `next`, and null for each field we own, or `current` has, that `next` lacks (lists
 * such as conditions are replaced whole by a merge patch). `metadata.uid` makes it a precondition: the
 * API server refuses the patch if the name now belongs to another pod. Unlike a PUT it carries no
 * resourceVersion, so a concurrent metadata change (our own group-id annotation) cannot make it conflict.
 */
export function statusPatch(uid: string, current: V1PodStatus | undefined, next: V1PodStatus): StatusPatch {
  const status: Record<string, unknown> = {};
  for (const k of OWNED_STATUS_FIELDS) status[k] = null;
  for (const k of Object.keys(current ?? {})) if ((current as Record<string, unknown>)[k] !== undefined) status[k] = null;
  for (const [k, v] of Object.entries(next)) status[k] = v === undefined ? null : v;
  return { metadata: { uid }, status };
}
