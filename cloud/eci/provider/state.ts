// What the provider remembers per pod and how it turns ECI observations into PodState deltas: status from the
// mapping's groupToPodStatus (or a synthetic Failed status for permanent create errors and lost instances),
// only new/changed events, and a per-uid status_version that keeps increasing across relay restarts. Pure.
import { createHash } from 'node:crypto';
import type { V1Pod, V1PodStatus } from '@kubernetes/client-node';
import { groupToPodStatus, underSpotNotice, type EciGroup, type PodEvent as MappedEvent } from '../mapping/index.js';
import type { PodState } from '../../pod-provider/provider.js';

type ProtoEvent = PodState['events'][number];

export interface TrackedPod {
  uid: string;
  namespace: string;
  name: string;
  /** Container group id; '' while none exists (create in flight, or failed permanently). */
  groupId: string;
  generation: number;
  pod: V1Pod;
  /** The pod came from an intent (true) or was rebuilt from the group's tags after a restart (false). */
  fromIntent: boolean;
  statusVersion: number;
  lastStatus?: V1PodStatus;
  /** Digest of the JSON of the last group observed, to tell real changes from re-reads. */
  fingerprint: string;
  eventCounts: Map<string, number>;
  /** Phase Succeeded/Failed: the final state is kept even after ECI drops the group. */
  terminal: boolean;
  deleting: boolean;
  /** Consecutive full polls that did not list the group. */
  misses: number;
  /** Still changing: polled at the fast cadence. */
  settling: boolean;
  state?: PodState;
}

const STABLE_STATUSES = new Set(['Running', 'Succeeded', 'Failed', 'Expired', 'ScheduleFailed']);

/**
 * A group in one of these statuses is not expected to change soon (slow cadence), unless ECI has announced the
 * release of its spot instance: then it is watched at the fast cadence, so its pod fails within a poll of the release.
 */
function isStable(group: EciGroup): boolean {
  if (!STABLE_STATUSES.has(group.status ?? '')) return false;
  return !(group.status === 'Running' && underSpotNotice(group));
}

/**
 * Next status_version: strictly greater than the previous one and than any version a previous relay process could
 * have issued (microseconds since the epoch), so an agent applying "by (uid, status_version)" never drops a
 * delta after a relay restart.
 */
function nextStatusVersion(prev: number, nowMs = Date.now()): number {
  return Math.max(prev + 1, nowMs * 1000);
}

export function newTracked(uid: string, pod: V1Pod, generation: number, fromIntent: boolean): TrackedPod {
  return {
    uid,
    namespace: pod.metadata?.namespace ?? 'default',
    name: pod.metadata?.name ?? '',
    groupId: '',
    generation,
    pod,
    fromIntent,
    statusVersion: 0,
    fingerprint: '',
    eventCounts: new Map(),
    terminal: false,
    deleting: false,
    misses: 0,
    settling: true,
  };
}

function toProtoEvent(e: MappedEvent): ProtoEvent {
  return { reason: e.reason, message: e.message, type: e.type, count: e.count, firstTime: e.firstTimestamp.toISOString(), lastTime: e.lastTimestamp.toISOString() };
}

/** Events not yet sent (new reason+message, or a higher count). Updates the tracked counts. */
function freshEvents(tr: TrackedPod, events: MappedEvent[]): ProtoEvent[] {
  const out: ProtoEvent[] = [];
  for (const e of events) {
    const key = `${e.type}|${e.reason}|${e.message}`;
    if ((tr.eventCounts.get(key) ?? 0) >= e.count) continue;
    tr.eventCounts.set(key, e.count);
    out.push(toProtoEvent(e));
  }
  return out;
}

const utf8 = new TextEncoder();

/**
 * UTF-8 bytes in a buffer of their own. Buffer.from(string) slices small strings out of a shared 8 KiB
 * pool, and one long-lived slice keeps its whole slab alive: thousands of pods' statuses, each kept as
 * long as its pod among short-lived buffers, pinned several times their own size that way.
 */
export function ownedUtf8(s: string): Buffer {
  const bytes = utf8.encode(s);
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

function stateOf(tr: TrackedPod, status: V1PodStatus, events: ProtoEvent[], gone = false): PodState {
  tr.statusVersion = nextStatusVersion(tr.statusVersion);
  tr.lastStatus = status;
  tr.terminal = status.phase === 'Succeeded' || status.phase === 'Failed';
  tr.state = {
    uid: tr.uid,
    namespace: tr.namespace,
    name: tr.name,
    generation: tr.generation,
    providerId: tr.groupId,
    statusVersion: tr.statusVersion,
    statusJson: ownedUtf8(JSON.stringify(status)),
    events,
    gone,
  };
  return tr.state;
}

/** The PodState for an observed group, or undefined when nothing the agent cares about changed. */
export function observeGroup(tr: TrackedPod, group: EciGroup, extraEvents: MappedEvent[] = [], now = new Date()): PodState | undefined {
  const fingerprint = createHash('sha1').update(JSON.stringify(group)).digest('base64');
  tr.misses = 0;
  tr.settling = !isStable(group) || tr.deleting;
  if (fingerprint === tr.fingerprint && tr.state && tr.state.generation === tr.generation && extraEvents.length === 0) return undefined;
  tr.fingerprint = fingerprint;
  const { status, events } = groupToPodStatus(group, { ...tr.pod, status: tr.lastStatus }, now);
  return stateOf(tr, status, freshEvents(tr, [...extraEvents, ...events]));
}

/** A Failed status the provider decides itself (permanent create error, instance lost). */
export function failedState(tr: TrackedPod, reason: string, message: string, now = new Date()): PodState {
  tr.settling = false;
  const status: V1PodStatus = {
    phase: 'Failed',
    reason,
    message,
    conditions: [
      { type: 'Ready', status: 'False', reason: 'PodFailed', message, lastTransitionTime: now },
      { type: 'ContainersReady', status: 'False', reason: 'PodFailed', message, lastTransitionTime: now },
    ],
    containerStatuses: (tr.pod.spec?.containers ?? []).map((c) => ({
      name: c.name,
      image: c.image ?? '',
      imageID: '',
      ready: false,
      restartCount: 0,
      state: { terminated: { exitCode: 137, reason, message } },
    })),
  };
  const ev: MappedEvent = { type: 'Warning', reason, message, count: 1, firstTimestamp: now, lastTimestamp: now };
  return stateOf(tr, status, freshEvents(tr, [ev]));
}

/** Warning events for degraded mapping (fields the pod asked for that ECI cannot honour exactly). */
export function warningEvents(warnings: string[], now = new Date()): MappedEvent[] {
  return warnings.map((message) => ({ type: 'Warning' as const, reason: 'ProviderDegraded', message, count: 1, firstTimestamp: now, lastTimestamp: now }));
}

/** The confirmed-deleted state (the group is no longer listed). */
export function goneState(tr: TrackedPod): PodState {
  const status = tr.lastStatus ?? { phase: 'Unknown' };
  return stateOf(tr, status, [], true);
}
