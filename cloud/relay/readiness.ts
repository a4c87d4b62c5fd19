// The relay's readiness (/readyz on the ops port). A relay exists only once its configuration is loaded and
// its gRPC port listens; it is ready until it drains (shutdown began), so a load balancer stops sending it new
// agents. Connected agents are reported but do not gate readiness: a relay must be ready to be reached by
// agents at all, and one tenant's outage (its agent's link, its ECI region) must not take it from the others.
import type { Readiness } from '../../common/readiness.js';

export interface RelayReadinessSource {
  draining: boolean;
  tenants: number;
  /** Result of the last re-read per file (config, token file, client CA), when one happened. */
  lastReloads: Record<string, string>;
  /** Open status watches: one per connected agent. */
  watches: number;
}

export function relayReadiness(s: RelayReadinessSource): Readiness {
  const failed = Object.entries(s.lastReloads).filter(([, r]) => r !== 'ok').map(([f]) => f);
  return {
    checks: [
      { name: 'config', ok: s.tenants > 0, detail: `${s.tenants} tenant(s) loaded${failed.length ? `; the last re-read of ${failed.join(', ')} failed, the previous content is in use` : ''}` },
      { name: 'draining', ok: !s.draining, detail: s.draining ? 'shutting down: new connections go to other replicas' : 'not draining' },
    ],
    info: { agents: `${s.watches} status watch(es) open` },
  };
}
