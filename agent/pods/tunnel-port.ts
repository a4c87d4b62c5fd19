// What the pod controller needs from the tunnel, in the tunnel's own (proto-generated) types, and the
// decoded form of a relay status update. Calls fail with PodTunnelError (tunnel-errors.ts), never with a
// transport status code. The TunnelClient satisfies PodTunnel; tests may pass another implementation.
import type { V1PodStatus } from '@kubernetes/client-node';
import type { PodIntent } from '../../proto/gen/ecigw/tunnel/v1/PodIntent.js';
import type { PodAck__Output } from '../../proto/gen/ecigw/tunnel/v1/PodAck.js';
import type { DeletePodResponse__Output } from '../../proto/gen/ecigw/tunnel/v1/DeletePodResponse.js';
import type { InventoryEntry } from '../../proto/gen/ecigw/tunnel/v1/InventoryEntry.js';
import type { ReconcileResponse__Output } from '../../proto/gen/ecigw/tunnel/v1/ReconcileResponse.js';
import type { PodState__Output } from '../../proto/gen/ecigw/tunnel/v1/PodState.js';
import type { PodEvent__Output } from '../../proto/gen/ecigw/tunnel/v1/PodEvent.js';

export interface PodTunnel {
  /**
   * The largest encoded intent message the relay takes (its handshake's limits.maxMessageBytes), waiting for
   * a connection as a call would.
   */
  maxIntentBytes(): Promise<number>;
  apply(intent: PodIntent): Promise<PodAck__Output>;
  delete(uid: string, gracePeriodSeconds: number): Promise<DeletePodResponse__Output>;
  reconcile(inventory: InventoryEntry[]): Promise<ReconcileResponse__Output>;
}

export interface PodStateUpdate {
  uid: string;
  statusVersion: number;
  providerId: string;
  gone: boolean;
  status?: V1PodStatus;
  events: PodEvent__Output[];
}

/** Decodes a relay PodState; a status that is not valid JSON is dropped (and reported by the caller). */
export function decodePodState(s: PodState__Output): PodStateUpdate {
  let status: V1PodStatus | undefined;
  if (s.statusJson && s.statusJson.length > 0) status = JSON.parse(Buffer.from(s.statusJson).toString('utf8')) as V1PodStatus;
  return { uid: s.uid, statusVersion: Number(s.statusVersion), providerId: s.providerId, gone: s.gone, status, events: s.events ?? [] };
}
