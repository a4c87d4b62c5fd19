// Agent authentication for the relay: a client certificate issued by the relay's client CA (identity =
// subject CN or SAN URI) or a bearer token (identity = sha256 of the token). The CA file and the token
// file are re-read when they change, so rotation and revocation need no restart.
import { createHash, X509Certificate } from 'node:crypto';
import { readFileSync, statSync } from 'node:fs';
import type { PeerCertificate } from 'node:tls';
import type { RelayConfig } from './config.js';

export interface AgentIdentity {
  /** `cert:<CN or SAN URI>` or `token:<first 12 hex of sha256>`; safe to log. */
  id: string;
  tenantId: string;
  method: 'mtls' | 'token';
}

export class AuthError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'AuthError';
  }
}

/** Re-reads a file when its mtime or size changes. */
class WatchedFile<T> {
  private stamp = '';
  private value: T | undefined;
  constructor(
    private readonly path: string,
    private readonly parse: (text: string) => T,
  ) {}
  get(): T {
    const st = statSync(this.path);
    const stamp = `${st.mtimeMs}:${st.size}:${st.ino}`;
    if (stamp !== this.stamp || this.value === undefined) {
      this.value = this.parse(readFileSync(this.path, 'utf8'));
      this.stamp = stamp;
    }
    return this.value;
  }
}

export const tokenDigest = (token: string) => createHash('sha256').update(token, 'utf8').digest('hex');

export class Authenticator {
  private readonly ca: WatchedFile<X509Certificate[]>;
  private readonly tokens: WatchedFile<Map<string, string>> | undefined;
  private readonly verified = new Map<string, { identity: AgentIdentity; cas: X509Certificate[]; notAfter: number }>();

  constructor(
    private readonly config: RelayConfig,
    clientCaFile: string,
  ) {
    this.ca = new WatchedFile(clientCaFile, parsePemBundle);
    this.tokens = config.tokenFile
      ? new WatchedFile(config.tokenFile, (text) => {
          const o = JSON.parse(text) as Record<string, unknown>;
          return new Map(Object.entries(o).filter((e): e is [string, string] => typeof e[1] === 'string').map(([k, v]) => [k.toLowerCase(), v]));
        })
      : undefined;
  }

  /** Identity from a verified client certificate, else from the bearer token; throws AuthError. */
  authenticate(peer: PeerCertificate | undefined, authorization: string | undefined): AgentIdentity {
    if (peer?.raw && peer.raw.length > 0) return this.fromCertificate(peer.raw);
    if (authorization) return this.fromToken(authorization);
    // grpc-js only exposes client certificates that TLS verified against the client CA, so a
    // certificate from another CA, an expired one or one not yet valid arrives here as "none".
    throw new AuthError(
      'no valid credential: present a client certificate issued by the relay CA and currently valid (certificates from another CA, expired or not yet valid are ignored), or an "authorization: Bearer <token>" header',
    );
  }

  private fromCertificate(raw: Buffer): AgentIdentity {
    // Verifying a signature per call is costly; cache the result per (certificate, CA bundle).
    const cas = this.ca.get();
    const key = `${createHash('sha256').update(raw).digest('hex')}`;
    const hit = this.verified.get(key);
    if (hit && hit.cas === cas && hit.notAfter > Date.now()) return hit.identity;
    const identity = this.verifyCertificate(raw, cas);
    if (this.verified.size >= 1024) this.verified.clear();
    this.verified.set(key, { identity, cas, notAfter: Date.parse(new X509Certificate(raw).validTo) });
    return identity;
  }

  private verifyCertificate(raw: Buffer, cas: X509Certificate[]): AgentIdentity {
    const cert = new X509Certificate(raw);
    const issuer = cas.find((ca) => cert.checkIssued(ca) && cert.verify(ca.publicKey));
    if (!issuer) throw new AuthError(`client certificate "${cert.subject}" is not issued by the relay's client CA`);
    const t = Date.now();
    if (Date.parse(cert.validTo) < t) throw new AuthError(`client certificate expired at ${new Date(cert.validTo).toISOString()}`);
    if (Date.parse(cert.validFrom) > t) throw new AuthError(`client certificate not valid before ${new Date(cert.validFrom).toISOString()}`);
    const names = certificateNames(cert);
    for (const n of names) {
      const tenantId = this.config.certificateIdentities[n];
      if (tenantId) return { id: `cert:${n}`, tenantId, method: 'mtls' };
    }
    throw new AuthError(`client certificate identity ${JSON.stringify(names)} is not mapped to a tenant`);
  }

  private fromToken(authorization: string): AgentIdentity {
    const m = /^Bearer\s+(\S+)\s*$/i.exec(authorization);
    if (!m) throw new AuthError('authorization header must be "Bearer <token>"');
    if (!this.tokens) throw new AuthError('token authentication is not enabled on this relay');
    const digest = tokenDigest(m[1]);
    const tenantId = this.tokens.get().get(digest);
    if (!tenantId || !this.config.tenants[tenantId]) throw new AuthError('bearer token is unknown, revoked or rotated');
    return { id: `token:${digest.slice(0, 12)}`, tenantId, method: 'token' };
  }
}

function certificateNames(cert: X509Certificate): string[] {
  const names: string[] = [];
  const cn = /(?:^|\n)CN=([^\n]+)/.exec(cert.subject)?.[1];
  if (cn) names.push(cn);
  for (const part of (cert.subjectAltName ?? '').split(/,\s*/)) {
    if (part.startsWith('URI:')) names.push(part.slice(4));
  }
  return names;
}

function parsePemBundle(text: string): X509Certificate[] {
  const blocks = text.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? [];
  if (blocks.length === 0) throw new Error('client CA file holds no certificate');
  return blocks.map((b) => new X509Certificate(b));
}
