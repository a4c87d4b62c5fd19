// Who a call is and what it may act for: authenticates its credential (auth.ts), checks the protocol
// and that the claimed cluster id is one its identity may act for (PERMISSION_DENIED, logged and
// counted, otherwise), and reports failures and successes to the connection guard by peer.
import * as grpc from '@grpc/grpc-js';
import type { PeerCertificate } from 'node:tls';
import { TokenBucket } from 'limiter';
import type { Counter } from 'prom-client';
import type { Logger } from '../../common/log.js';
import type { TenantConfig, TenantScope } from '../pod-provider/provider.js';
import { AuthError, type AgentIdentity, type Authenticator, type Credential } from './auth.js';
import type { RelayConfig } from './config.js';
import { RpcError } from './errors.js';
import { agentKey } from './keys.js';
import { METADATA, protocolProblem } from '../../proto/wire.js';

/** The parts of a grpc-js server call the authorizer reads. */
interface CallSource {
  metadata: grpc.Metadata;
  getPeer(): string;
  getAuthContext(): { sslPeerCertificate?: PeerCertificate } | null;
}

interface AuthorizedCall {
  identity: AgentIdentity;
  scope: TenantScope;
  /** What the call presented; open streams are re-checked with it (revocation.ts). */
  credential: Credential;
  /** Map key of this agent (credential + cluster). */
  agent: string;
  log: Logger;
}

/** Told about every authentication outcome, by the peer (`ip:port`) of the call's connection. */
export interface AuthObserver {
  authenticated(peer: string): void;
  /** Returns false when the peer's source is out of failure budget (its connection is being closed). */
  failed(peer: string): boolean;
  /** The connection's client certificate, read (a costly getPeerCertificate()) once per connection. */
  certificate?(peer: string, read: () => Buffer | undefined): Buffer | undefined;
}

const first = (md: grpc.Metadata, key: string): string | undefined => {
  const v = md.get(key)[0];
  return typeof v === 'string' ? v : undefined;
};

/**
 * The scope an identity acts in when it claims `clusterId`: the tenant must still exist and list the
 * cluster, and the identity must be granted it. Throws RpcError (UNAUTHENTICATED / PERMISSION_DENIED).
 */
export function claimScope(identity: AgentIdentity, clusterId: string, tenants: Record<string, TenantConfig>): TenantScope {
  const tenant = Object.hasOwn(tenants, identity.tenantId) ? tenants[identity.tenantId] : undefined;
  if (!tenant) throw new RpcError(grpc.status.UNAUTHENTICATED, `tenant ${identity.tenantId} of agent identity ${identity.id} is no longer configured on this relay`);
  if (!tenant.clusterIds.includes(clusterId)) {
    throw new RpcError(grpc.status.PERMISSION_DENIED, `cluster ${JSON.stringify(clusterId)} is not allowed for tenant ${tenant.id}`);
  }
  if (!identity.clusterIds.includes(clusterId)) {
    throw new RpcError(
      grpc.status.PERMISSION_DENIED,
      `cluster ${JSON.stringify(clusterId)} is not allowed for agent identity ${identity.id} (tenant ${tenant.id}); it may act for: ${identity.clusterIds.join(', ')}`,
    );
  }
  return { tenantId: tenant.id, clusterId, tenant };
}

export class CallAuthorizer {
  /** Unauthenticated calls are logged at most this often (they are always counted). */
  private readonly logBudget = new TokenBucket({ bucketSize: 20, tokensPerInterval: 5, interval: 'second' });
  private suppressed = 0;

  constructor(
    private readonly o: {
      auth: Authenticator;
      config: () => RelayConfig;
      log: Logger;
      denied: Counter<'reason'>;
      observer?: AuthObserver;
    },
  ) {
    this.logBudget.content = 20;
  }

  /** Throws AuthError (UNAUTHENTICATED) or RpcError (FAILED_PRECONDITION / PERMISSION_DENIED / UNAUTHENTICATED). */
  authorize(call: CallSource, method: string, reqId: string): AuthorizedCall {
    const md = call.metadata;
    const peer = call.getPeer();
    const read = () => {
      const raw = call.getAuthContext()?.sslPeerCertificate?.raw;
      return raw && raw.length > 0 ? raw : undefined;
    };
    const credential: Credential = { certificate: this.o.observer?.certificate ? this.o.observer.certificate(peer, read) : read(), authorization: first(md, METADATA.authorization) };
    let identity: AgentIdentity;
    try {
      identity = this.o.auth.authenticate(credential);
    } catch (e) {
      this.o.denied.inc({ reason: 'unauthenticated' });
      const inBudget = this.o.observer?.failed(peer) ?? true;
      if (this.logBudget.tryRemoveTokens(1)) {
        this.o.log.warn({ reqId, method, peer, err: (e as Error).message, suppressed: this.suppressed || undefined, sourceOverBudget: !inBudget || undefined }, 'unauthenticated call');
        this.suppressed = 0;
      } else this.suppressed++;
      throw e instanceof AuthError ? e : new AuthError((e as Error).message);
    }
    this.o.observer?.authenticated(peer);
    const clusterId = first(md, METADATA.clusterId) ?? '';
    const clog = this.o.log.child({ reqId, agent: identity.id, tenant: identity.tenantId, clusterId, method });
    const problem = method === 'Handshake' ? undefined : protocolProblem('agent', first(md, METADATA.protocol));
    if (problem) throw new RpcError(grpc.status.FAILED_PRECONDITION, `${problem} (metadata ${METADATA.protocol})`);
    let scope: TenantScope;
    try {
      scope = claimScope(identity, clusterId, this.o.config().tenants);
    } catch (e) {
      this.o.denied.inc({ reason: 'cluster' });
      clog.warn({ clusterId, allowed: identity.clusterIds, peer, err: (e as Error).message }, 'agent claimed a cluster it may not act for');
      throw e;
    }
    return { identity, scope, credential, agent: agentKey(identity.key, clusterId), log: clog };
  }
}
