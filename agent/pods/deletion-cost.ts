// Scale-in order: burst pods go first. The ReplicaSet controller removes pods with a lower
// `controller.kubernetes.io/pod-deletion-cost` before others of the same phase and readiness, and a pod
// without the annotation costs 0, so every pod bound to the virtual node gets a negative cost and the
// datacenter's pods stay when a Deployment or an HPA scales in. The agent writes it with the pod's status
// (a node may change a bound pod's annotations through pods/status, see the README's security model), so
// it is on the pod before the pod is Running. A value the pod already has (its template's, or the user's)
// is left alone: whoever set it owns the order.
export const DELETION_COST_ANNOTATION = 'controller.kubernetes.io/pod-deletion-cost';

/** Below the datacenter pods' 0, with room under it for an on-prem order of their own. */
export const DEFAULT_DELETION_COST = -1000;

/** The API server accepts an int32 here. */
const INT32 = { min: -(2 ** 31), max: 2 ** 31 - 1 };

/** Why a configured cost is unusable, or undefined when it is a whole number in int32. */
export function checkDeletionCost(n: unknown): string | undefined {
  return typeof n === 'number' && Number.isInteger(n) && n >= INT32.min && n <= INT32.max ? undefined : `must be a whole number from ${INT32.min} to ${INT32.max}`;
}

/**
 * The deletion cost to write on this pod, or undefined when there is nothing to write: marking is off
 * (`cost` undefined), or the pod already carries the annotation, whatever its value.
 */
export function deletionCostToWrite(annotations: Readonly<Record<string, string>> | undefined, cost: number | undefined): string | undefined {
  if (cost === undefined) return undefined;
  if (annotations && DELETION_COST_ANNOTATION in annotations) return undefined;
  return String(cost);
}
