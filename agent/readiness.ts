// The agent's readiness (/readyz on the ops port). An active replica is ready once its pod informer has
// synced and its tunnel to the relay is connected. A standby (leader election on, another replica holds the
// Lease) is ready: it runs nothing yet and waits to take over, as a standby kube-controller-manager does. If
// standbys were unready, a rolling update of an HA Deployment would stall on its new pods and a
// PodDisruptionBudget would count only the leader. The role is always said in the body. Pure.
import type { Readiness } from '../common/readiness.js';

type AgentRole = 'starting' | 'standby' | 'active';

export interface AgentReadinessSource {
  role: AgentRole;
  /** Whether leader election is on, and the Lease's holder as last seen (standby). */
  leaderElection?: { lease: string; holder?: string };
  tunnel: { state: 'connecting' | 'connected' | 'disconnected'; lastError?: string };
  podsSynced: boolean;
}

export function agentReadiness(s: AgentReadinessSource): Readiness {
  const role =
    s.role === 'standby'
      ? `standby (the Lease ${s.leaderElection?.lease ?? ''} is held by ${s.leaderElection?.holder || 'another replica'}; takes over when it expires)`
      : s.role === 'starting'
        ? 'starting (node identity, Lease, controllers)'
        : s.leaderElection
          ? `leader (holds the Lease ${s.leaderElection.lease})`
          : 'active (leader election off)';
  const info = { role };
  if (s.role === 'standby') return { checks: [{ name: 'role', ok: true, detail: 'standby, ready to take over' }], info };
  const tunnelDetail = s.tunnel.state === 'connected' ? 'connected to the relay' : `${s.tunnel.state}${s.tunnel.lastError ? `: ${s.tunnel.lastError}` : ''}`;
  return {
    checks: [
      { name: 'started', ok: s.role === 'active', detail: s.role === 'active' ? 'controllers and kubelet API running' : 'still starting' },
      { name: 'informer', ok: s.podsSynced, detail: s.podsSynced ? 'pods on the node listed and watched' : 'pod informer not synced yet' },
      { name: 'tunnel', ok: s.tunnel.state === 'connected', detail: tunnelDetail },
    ],
    info,
  };
}
