// The relay's readiness (/readyz on the ops port). A relay exists only once its configuration is loaded and
// its gRPC port listens; it is ready until it drains (shutdown began), so a load balancer stops sending it new
// agents. By default connected agents are reported but do not gate readiness: a shared relay must be ready to
// be reached by agents at all, and one tenant's outage (its agent's link) must not take it from the others.
// A relay dedicated to one datacenter sets `readiness.minAgents: 1`, and its readiness follows its tunnel.
import type { Readiness } from '../../common/readiness.js';

export interface RelayReadinessSource {
  draining: boolean;
  tenants: number;
  /** Result of the last re-read per file (config, token file, client CA), when one happened. */
  lastReloads: Record<string, string>;
  /** Open status watches: one per connected agent. */
  watches: number;
  /** readiness.minAgents of the config: fewer open status watches than this is not ready. */
  minAgents: number;
}

export function relayReadiness(s: RelayReadinessSource): Readiness {
  const failed = Object.entries(s.lastReloads).filter(([, r]) => r !== 'ok').map(([f]) => f);
  return {
    checks: [
      { name: 'config', ok: s.tenants > 0, detail: `${s.tenants} tenant(s) loaded${failed.length ? `; the last re-read of ${failed.join(', ')} failed, the previous content is in use` : ''}` },
      { name: 'draining', ok: !s.draining, detail: s.draining ? 'shutting down: new connections go to other replicas' : 'not draining' },
      ...(s.minAgents > 0 ? [{ name: 'agents', ok: s.watches >= s.minAgents, detail: `${s.watches} of at least ${s.minAgents} agent(s) connected (readiness.minAgents)` }] : []),
    ],
    info: { agents: `${s.watches} status watch(es) open` },
  };
}
