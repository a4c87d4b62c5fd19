// The relay's egress pieces built from its `egress` option: the token key (a file of at least 32 bytes), the
// registry, and the sidecar each applied pod of a tenant with `egress` settings gets (its credential minted
// here, with the CA bundle sidecars verify the relay with). Files are read once, at start.
import { readFileSync } from 'node:fs';
import type { EgressSidecar, PodIntent, TenantScope } from '../../pod-provider/provider.js';
import type { RelayLimits } from '../limits.js';
import { EgressRegistry } from './registry.js';
import { EgressTokens } from './token.js';

export interface EgressOption {
  port: number;
  tokenKeyFile: string;
  caFile: string;
  checkSourceAddress?: boolean;
  dialTimeoutMs?: number;
}

export function egressSetup(o: EgressOption, limits: RelayLimits) {
  const tokens = new EgressTokens(readFileSync(o.tokenKeyFile));
  const caPem = readFileSync(o.caFile, 'utf8');
  const registry = new EgressRegistry({ maxPending: limits.maxServiceConnectionsPerAgent * 4, dialTimeoutMs: o.dialTimeoutMs ?? 10_000 });
  const pod = (scope: TenantScope, intent: PodIntent): EgressSidecar | undefined => {
    const settings = scope.tenant.egress;
    if (!settings) return undefined;
    let namespace = 'default';
    try {
      namespace = (JSON.parse(intent.podJson.toString('utf8')) as { metadata?: { namespace?: string } }).metadata?.namespace || 'default';
    } catch {
      return undefined; // the provider refuses the intent with the reason
    }
    return { ...settings, caPem, token: tokens.mint({ tenantId: scope.tenantId, clusterId: scope.clusterId, uid: intent.uid, namespace }) };
  };
  return { port: o.port, tokens, registry, pod, checkSourceAddress: o.checkSourceAddress ?? true };
}
