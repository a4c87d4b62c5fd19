// Composition of the ECI side of the relay: one EciCaller per tenant (its credentials, region, limits),
// the EciProvider control path and the interactive sessions, which find a pod's group by its tags.
import type { Registry } from 'prom-client';
import { createEciCaller, type TenantEciCaller } from './client.js';
import { EciProvider, type EciProviderOptions } from './provider/index.js';
import { createEciSessions, type EciSessionsDeps, type ResolvedGroup } from './sessions/index.js';
import { GroupApi } from './provider/groups.js';
import { ownGroupsForUid } from './provider/identity.js';
import { credentialFor, type EciCredential, type EciCredentials } from './credentials.js';
import type { EciCaller } from './api.js';
import type { TenantScope } from '../pod-provider/provider.js';

interface EciConnection {
  /** `host[:port]`; default `eci.<region>.aliyuncs.com`. */
  endpoint?: string;
  protocol?: 'http' | 'https';
  timeoutMs?: number;
}

interface EciBackendOptions {
  connection: EciConnection;
  /** Credentials per tenant (asked once per tenant and settings); default: `credentialFor(tenant.credentialsRef)`. */
  credentials?: (scope: TenantScope) => EciCredentials | EciCredential;
  registry?: Registry;
  provider?: Omit<EciProviderOptions, 'callerFor' | 'sessions'>;
  sessions?: Omit<EciSessionsDeps, 'callerFor' | 'resolveGroup'>;
}

export interface EciBackend {
  provider: EciProvider;
  callerFor: (scope: TenantScope) => EciCaller;
  /** Every tenant caller made so far (their stats() count ECI calls by action). */
  callers(): TenantEciCaller[];
}

export function createEciBackend(o: EciBackendOptions): EciBackend {
  const callers = new Map<string, { settings: string; caller: TenantEciCaller }>();
  const callerFor = (scope: TenantScope): EciCaller => {
    // A reloaded relay config that changes how this tenant reaches ECI gets a new caller from then on.
    const settings = JSON.stringify([scope.tenant.region, scope.tenant.credentialsRef, scope.tenant.eciRates ?? null]);
    const known = callers.get(scope.tenantId);
    let c = known?.settings === settings ? known.caller : undefined;
    if (!c) {
      const creds = (o.credentials ?? ((s) => credentialFor(s.tenant.credentialsRef)))(scope);
      const auth = 'accessKeyId' in creds ? { accessKeyId: creds.accessKeyId, accessKeySecret: creds.accessKeySecret, securityToken: creds.securityToken } : { credential: creds };
      c = createEciCaller({
        tenantId: scope.tenantId,
        endpoint: {
          endpoint: o.connection.endpoint ?? `eci.${scope.tenant.region}.aliyuncs.com`,
          protocol: o.connection.protocol ?? 'https',
          regionId: scope.tenant.region,
          ...auth,
          timeoutMs: o.connection.timeoutMs,
        },
        registry: o.registry,
        rates: scope.tenant.eciRates,
      });
      callers.set(scope.tenantId, { settings, caller: c });
    }
    return c;
  };
  const resolveGroup = async (scope: TenantScope, uid: string): Promise<ResolvedGroup | undefined> => {
    const [g] = ownGroupsForUid(await new GroupApi(callerFor(scope)).findByUid(uid), scope, uid);
    if (!g?.containerGroupId) return undefined;
    return {
      groupId: g.containerGroupId,
      intranetIp: g.intranetIp ?? '',
      containers: (g.containers ?? []).map((c) => c.name ?? '').filter(Boolean),
      status: g.status ?? '',
    };
  };
  const sessions = createEciSessions({ ...o.sessions, callerFor, resolveGroup });
  const provider = new EciProvider({ ...o.provider, callerFor, sessions, registry: o.registry });
  return { provider, callerFor, callers: () => [...callers.values()].map((e) => e.caller) };
}
