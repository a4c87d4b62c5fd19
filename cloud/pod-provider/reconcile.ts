// Pure inventory diff shared by providers: the agent's (uid, generation) list against the cloud's pods.
// missing → the agent re-applies; stale (cloud generation older) → re-apply; orphans → provider GC.
import type { InventoryEntry, PodState, ReconcileResult } from './provider.js';

export function diffInventory(inventory: InventoryEntry[], cloud: PodState[]): ReconcileResult {
  const cloudByUid = new Map(cloud.filter((p) => !p.gone).map((p) => [p.uid, p]));
  const wanted = new Set<string>();
  const result: ReconcileResult = { missing: [], stale: [], orphans: [] };
  for (const entry of inventory) {
    wanted.add(entry.uid);
    const have = cloudByUid.get(entry.uid);
    if (!have) result.missing.push({ uid: entry.uid, generation: entry.generation });
    else if (have.generation < entry.generation) result.stale.push({ uid: entry.uid, generation: have.generation });
  }
  for (const pod of cloudByUid.values()) {
    if (!wanted.has(pod.uid)) result.orphans.push({ uid: pod.uid, providerId: pod.providerId, namespace: pod.namespace, name: pod.name });
  }
  return result;
}
