// Agent authentication for the relay: a client certificate issued by the relay's client CA (identity =
// subject CN or SAN URI) or a bearer token (identity = sha256 of the token), each mapped to a tenant and
// the cluster ids it may act for (identities.ts). The CA bundle and the token file are re-read when they
// change; a file that fails to parse keeps the previous content (logged and counted), never "no one".
import { createHash, X509Certificate } from 'node:crypto';
import { readFileSync, statSync } from 'node:fs';
import type { Logger } from '../../common/log.js';
import type { RelayConfig } from './config.js';
import { describeGrant, parseTokenGrants, sameGrant, type IdentityGrant } from './identities.js';
import { credentialKey } from './keys.js';

export interface AgentIdentity {
  /** `cert:<CN or SAN URI>` or `token:<first 12 hex of sha256>`; safe to log. */
  id: string;
  /** Unique key of the credential (full name or full digest); for maps, never for logs. */
  key: string;
  tenantId: string;
  /** Cluster ids this identity may claim. */
  clusterIds: readonly string[];
  method: 'mtls' | 'token';
}

/** What a call presented: the verified TLS peer certificate (DER) and/or the authorization header. */
export interface Credential {
  certificate?: Buffer;
  authorization?: string;
}

export class AuthError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'AuthError';
  }
}

type ReloadResult = (file: 'client_ca' | 'tokens', result: 'ok' | 'error') => void;

/** Re-reads a file when its mtime, size or inode changes; a read or parse error keeps the last good value. */
class WatchedFile<T> {
  private stamp = '';
  private value: T | undefined;
  private failedStamp = '';
  constructor(
    readonly path: string,
    private readonly what: 'client_ca' | 'tokens',
    private readonly parse: (text: string) => T,
    private readonly log: Logger,
    private readonly onReload: ReloadResult,
  ) {}

  /** The current value; `force` re-parses even if the file did not change (its inputs did). */
  get(force = false): T {
    let stamp: string;
    try {
      const st = statSync(this.path);
      stamp = `${st.mtimeMs}:${st.size}:${st.ino}`;
    } catch (e) {
      return this.keep(`stat:${(e as Error).message}`, e as Error);
    }
    if (stamp === this.stamp && this.value !== undefined && !force) return this.value;
    if (stamp === this.failedStamp && !force) return this.keep(stamp);
    try {
      this.value = this.parse(readFileSync(this.path, 'utf8'));
      this.stamp = stamp;
      this.failedStamp = '';
      this.onReload(this.what, 'ok');
      return this.value;
    } catch (e) {
      return this.keep(stamp, e as Error);
    }
  }

  private keep(stamp: string, err?: Error): T {
    if (err && stamp !== this.failedStamp) {
      this.failedStamp = stamp;
      this.onReload(this.what, 'error');
      this.log.error({ file: this.path, err: err.message }, this.value === undefined ? 'cannot read file' : 'cannot re-read file; keeping its previous content');
    }
    if (this.value === undefined) throw new AuthError(`relay cannot read its ${this.what === 'tokens' ? 'token file' : 'client CA file'}: ${err?.message ?? 'earlier read failed'}`);
    return this.value;
  }
}

export const tokenDigest = (token: string) => createHash('sha256').update(token, 'utf8').digest('hex');

export class Authenticator {
  private readonly ca: WatchedFile<X509Certificate[]>;
  private tokens: { file: WatchedFile<Map<string, IdentityGrant>>; config: RelayConfig } | undefined;
  private readonly verified = new Map<string, { identity: AgentIdentity; cas: X509Certificate[]; config: RelayConfig; notAfter: number }>();

  constructor(
    private readonly config: () => RelayConfig,
    clientCaFile: string,
    private readonly log: Logger,
    private readonly onReload: ReloadResult = () => undefined,
  ) {
    this.ca = new WatchedFile(clientCaFile, 'client_ca', parsePemBundle, log, onReload);
    // At start a missing or malformed file fails the start (AuthError naming the file), not "no one".
    this.ca.get();
    this.tokenGrants();
  }

  /** Identity from a verified client certificate, else from the bearer token; throws AuthError. */
  authenticate(c: Credential): AgentIdentity {
    if (c.certificate && c.certificate.length > 0) return this.fromCertificate(c.certificate);
    if (c.authorization) return this.fromToken(c.authorization);
    // grpc-js only exposes client certificates that TLS verified against the client CA, so a
    // certificate from another CA, an expired one or one not yet valid arrives here as "none".
    throw new AuthError(
      'no valid credential: present a client certificate issued by the relay CA and currently valid (certificates from another CA, expired or not yet valid are ignored), or an "authorization: Bearer <token>" header',
    );
  }

  private fromCertificate(raw: Buffer): AgentIdentity {
    // Verifying a signature per call is costly; cache the result per (certificate, CA bundle, config).
    const cas = this.ca.get();
    const config = this.config();
    const key = createHash('sha256').update(raw).digest('hex');
    const hit = this.verified.get(key);
    const now = Date.now();
    if (hit && hit.cas === cas && hit.config === config && hit.notAfter > now) return hit.identity;
    const cert = new X509Certificate(raw);
    const identity = this.verifyCertificate(cert, cas, config, now);
    if (this.verified.size >= 1024) this.verified.clear();
    this.verified.set(key, { identity, cas, config, notAfter: Date.parse(cert.validTo) });
    return identity;
  }

  private verifyCertificate(cert: X509Certificate, cas: X509Certificate[], config: RelayConfig, now: number): AgentIdentity {
    const issuer = cas.find((ca) => cert.checkIssued(ca) && cert.verify(ca.publicKey));
    if (!issuer) throw new AuthError(`client certificate "${cert.subject}" is not issued by the relay's client CA`);
    if (Date.parse(cert.validTo) <= now) throw new AuthError(`client certificate expired at ${new Date(cert.validTo).toISOString()}`);
    if (Date.parse(cert.validFrom) > now) throw new AuthError(`client certificate not valid before ${new Date(cert.validFrom).toISOString()}`);
    const names = certificateNames(cert);
    const mapped = names.filter((n) => Object.hasOwn(config.certificateIdentities, n)).map((n) => [n, config.certificateIdentities[n]] as const);
    if (mapped.length === 0) throw new AuthError(`client certificate identity ${JSON.stringify(names)} is not mapped to a tenant`);
    const [name, grant] = mapped[0];
    const other = mapped.find(([, g]) => !sameGrant(g, grant));
    if (other) {
      throw new AuthError(
        `client certificate is ambiguous: ${JSON.stringify(name)} maps to ${describeGrant(grant)} but ${JSON.stringify(other[0])} maps to ${describeGrant(other[1])}; map only one of its names in certificateIdentities, or give them the same grant`,
      );
    }
    return { id: `cert:${name}`, key: credentialKey('mtls', name), tenantId: grant.tenantId, clusterIds: grant.clusterIds, method: 'mtls' };
  }

  /** The token grants; re-parsed when the token file changes or the config (its tenants) does. */
  private tokenGrants(): Map<string, IdentityGrant> | undefined {
    const config = this.config();
    if (!config.tokenFile) return (this.tokens = undefined);
    if (!this.tokens || this.tokens.file.path !== config.tokenFile) {
      const file = config.tokenFile;
      const tenants = () => this.config().tenants;
      this.tokens = { file: new WatchedFile(file, 'tokens', (text) => parseTokenGrants(text, tenants(), file), this.log, this.onReload), config };
      return this.tokens.file.get();
    }
    const force = this.tokens.config !== config;
    this.tokens.config = config;
    return this.tokens.file.get(force);
  }

  private fromToken(authorization: string): AgentIdentity {
    const m = /^Bearer\s+(\S+)\s*$/i.exec(authorization);
    if (!m) throw new AuthError('authorization header must be "Bearer <token>"');
    const grants = this.tokenGrants();
    if (!grants) throw new AuthError('token authentication is not enabled on this relay');
    const digest = tokenDigest(m[1]);
    const grant = grants.get(digest);
    if (!grant || !this.config().tenants[grant.tenantId]) throw new AuthError('bearer token is unknown, revoked or rotated');
    return { id: `token:${digest.slice(0, 12)}`, key: credentialKey('token', digest), tenantId: grant.tenantId, clusterIds: grant.clusterIds, method: 'token' };
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
