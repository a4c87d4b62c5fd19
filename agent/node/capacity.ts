// The virtual node's allocatable under the relay's caps (its Capacity RPC): for each capped resource the
// scheduler may place on this node what the cap leaves after other clusters' pods, never more than the
// configured capacity. The scheduler subtracts the requests of the node's own pods itself, at once, so the
// node fills up exactly as an ordinary node does, and pods beyond it stay Pending with its "Insufficient
// cpu" / "Too many pods" message. A spend cap that is used up takes the node's pod slots away. Pure.
import { parseQuantity } from '../../common/quantity.js';

/** One cap as the relay reports it (proto Cap). */
export interface CapView {
  resource: string;
  key: string;
  limit: number;
  used: number;
  usedHere: number;
}

/** How a cap's figure (pods, vCPU, GiB) is written as the quantity of the node resource of the same name. */
const RESOURCES: Record<string, { quantity: (n: number) => string; units: (n: number) => number }> = {
  pods: { quantity: (n) => String(Math.floor(n)), units: (n) => n },
  cpu: { quantity: (n) => `${Math.floor(n * 1000)}m`, units: (n) => n },
  memory: { quantity: (n) => `${Math.floor(n * 1024)}Mi`, units: (n) => n / 2 ** 30 },
};

/** What each cap leaves for this node, with the cap that decides it, per node resource. */
export function capShares(caps: readonly CapView[]): Map<string, { share: number; key: string }> {
  const out = new Map<string, { share: number; key: string }>();
  for (const c of caps) {
    // Spend is no node resource: a spend cap that is used up leaves the node no pod slot (the scheduler then
    // says "Too many pods"); until then it is the relay's to refuse a pod that would go over it.
    const spent = c.resource === 'spend' && c.used >= c.limit;
    const name = spent ? 'pods' : c.resource;
    if (!Object.hasOwn(RESOURCES, name)) continue;
    const share = spent ? 0 : Math.max(0, c.limit - (c.used - c.usedHere));
    const before = out.get(name);
    if (!before || share < before.share) out.set(name, { share, key: c.key });
  }
  return out;
}

/** `configured` with each capped resource lowered to what its tightest cap leaves this node. */
export function cappedAllocatable(configured: Readonly<Record<string, string>>, caps: readonly CapView[]): Record<string, string> {
  const out = { ...configured };
  for (const [name, { share }] of capShares(caps)) {
    const r = RESOURCES[name];
    const have = parseQuantity(configured[name]);
    if (have === undefined || r.units(have) > share) out[name] = r.quantity(share);
  }
  return out;
}
