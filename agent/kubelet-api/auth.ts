// Kubelet-style authentication and authorization of API requests: x509 client certificates verified
// against the client CA, bearer tokens through TokenReview, then SubjectAccessReview on nodes/<sub>
// with the kubelet's path→subresource mapping (1.37, fine-grained authz locked on). Results are cached.
import type { IncomingMessage } from 'node:http';
import type { TLSSocket } from 'node:tls';
import { createHash } from 'node:crypto';
import { AuthenticationV1Api, AuthorizationV1Api, type KubeConfig } from '@kubernetes/client-node';

interface UserInfo {
  name: string;
  uid?: string;
  groups: string[];
  extra?: Record<string, string[]>;
}

interface NodeAttributes {
  verb: string;
  subresources: string[];
}

export interface AuthCacheTtls {
  authenticatedMs: number;
  authorizedMs: number;
  unauthorizedMs: number;
}

const DEFAULT_TTLS: AuthCacheTtls = { authenticatedMs: 120_000, authorizedMs: 300_000, unauthorizedMs: 30_000 };
const MAX_CACHE = 10_000;

function isSubpath(path: string, prefix: string): boolean {
  const p = prefix.replace(/\/$/, '');
  return path === p || (path.startsWith(p) && path[p.length] === '/');
}

/** The kubelet's mapping (pkg/kubelet/server/auth.go): verb from method, path → node subresources in order. */
export function nodeAttributes(method: string, path: string): NodeAttributes {
  const verb = ({ POST: 'create', GET: 'get', HEAD: 'get', PUT: 'update', PATCH: 'patch', DELETE: 'delete' } as Record<string, string>)[method] ?? '';
  const subresources: string[] = [];
  if (isSubpath(path, '/pods') || isSubpath(path, '/allocatedPods') || isSubpath(path, '/runningpods')) subresources.push('pods');
  else if (isSubpath(path, '/healthz')) subresources.push('healthz');
  else if (isSubpath(path, '/configz')) subresources.push('configz');
  if (isSubpath(path, '/stats')) subresources.push('stats');
  else if (isSubpath(path, '/metrics')) subresources.push('metrics');
  else if (isSubpath(path, '/logs')) subresources.push('log');
  else if (isSubpath(path, '/checkpoint')) subresources.push('checkpoint');
  else if (isSubpath(path, '/statusz')) subresources.push('statusz');
  else if (isSubpath(path, '/flagz')) subresources.push('configz');
  else subresources.push('proxy');
  return { verb, subresources };
}

class TtlCache<V> {
  private readonly m = new Map<string, { v: V; until: number }>();
  get(k: string): V | undefined {
    const e = this.m.get(k);
    if (!e) return undefined;
    if (e.until < Date.now()) {
      this.m.delete(k);
      return undefined;
    }
    return e.v;
  }
  set(k: string, v: V, ttlMs: number): void {
    if (this.m.size >= MAX_CACHE) this.m.delete(this.m.keys().next().value as string);
    this.m.set(k, { v, until: Date.now() + ttlMs });
  }
}

type AuthDecision =
  | { status: 200; user: UserInfo }
  | { status: 401 | 403 | 500; message: string };

export class KubeletAuthenticator {
  private readonly authn: AuthenticationV1Api;
  private readonly authz: AuthorizationV1Api;
  private readonly tokens = new TtlCache<UserInfo | null>();
  private readonly decisions = new TtlCache<boolean>();
  private readonly ttls: AuthCacheTtls;

  constructor(kc: KubeConfig, private readonly nodeName: string, ttls: Partial<AuthCacheTtls> = {}) {
    this.authn = kc.makeApiClient(AuthenticationV1Api);
    this.authz = kc.makeApiClient(AuthorizationV1Api);
    this.ttls = { ...DEFAULT_TTLS, ...ttls };
  }

  async check(req: IncomingMessage): Promise<AuthDecision> {
    let user: UserInfo | undefined;
    try {
      user = await this.authenticate(req);
    } catch {
      return { status: 401, message: 'Unauthorized' };
    }
    if (!user) return { status: 401, message: 'Unauthorized' };
    const path = new URL(req.url ?? '/', 'https://kubelet').pathname;
    const attrs = nodeAttributes(req.method ?? 'GET', path);
    for (const sub of attrs.subresources) {
      try {
        if (await this.authorize(user, attrs.verb, sub)) return { status: 200, user };
      } catch {
        return { status: 500, message: `Authorization error (user=${user.name}, verb=${attrs.verb}, resource=nodes, subresource=${sub})` };
      }
    }
    return { status: 403, message: `Forbidden (user=${user.name}, verb=${attrs.verb}, resource=nodes, subresource(s)=[${attrs.subresources.join(' ')}])\n` };
  }

  async authenticate(req: IncomingMessage): Promise<UserInfo | undefined> {
    const sock = req.socket as TLSSocket;
    if (sock.authorized) {
      const cert = sock.getPeerCertificate();
      const cn = cert?.subject?.CN;
      if (cn) {
        const o = cert.subject.O;
        return { name: Array.isArray(cn) ? cn[0] : cn, groups: o === undefined ? [] : Array.isArray(o) ? o : [o] };
      }
    }
    const h = req.headers.authorization;
    const m = h ? /^Bearer\s+(\S+)\s*$/i.exec(h) : null;
    if (!m) return undefined;
    return (await this.reviewToken(m[1])) ?? undefined;
  }

  private async reviewToken(token: string): Promise<UserInfo | null> {
    const key = createHash('sha256').update(token).digest('hex');
    const hit = this.tokens.get(key);
    if (hit !== undefined) return hit;
    const r = await this.authn.createTokenReview({ body: { apiVersion: 'authentication.k8s.io/v1', kind: 'TokenReview', spec: { token } } });
    const st = r.status;
    const user: UserInfo | null =
      st?.authenticated && st.user?.username
        ? { name: st.user.username, uid: st.user.uid, groups: st.user.groups ?? [], extra: st.user.extra }
        : null;
    this.tokens.set(key, user, user ? this.ttls.authenticatedMs : this.ttls.unauthorizedMs);
    return user;
  }

  private async authorize(user: UserInfo, verb: string, subresource: string): Promise<boolean> {
    const key = JSON.stringify([user.name, user.uid, user.groups, user.extra, verb, subresource]);
    const hit = this.decisions.get(key);
    if (hit !== undefined) return hit;
    const r = await this.authz.createSubjectAccessReview({
      body: {
        apiVersion: 'authorization.k8s.io/v1',
        kind: 'SubjectAccessReview',
        spec: {
          user: user.name,
          uid: user.uid,
          groups: user.groups,
          extra: user.extra,
          resourceAttributes: { verb, resource: 'nodes', subresource, name: this.nodeName, version: 'v1', group: '' },
        },
      },
    });
    const allowed = r.status?.allowed === true;
    this.decisions.set(key, allowed, allowed ? this.ttls.authorizedMs : this.ttls.unauthorizedMs);
    return allowed;
  }
}
