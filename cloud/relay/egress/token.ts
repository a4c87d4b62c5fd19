// The egress credential of one burst pod: minted by the relay when it applies the pod (it travels in the
// pod's intent to the container group, never to or from an agent) and presented by the pod's egress sidecar.
// Stateless: `e1.<claims>.<HMAC-SHA256 over them>`, base64url, with a key only the relay holds (one file,
// shared by relay replicas). The claims bind it to the tenant, cluster, pod uid and namespace; the egress
// server also checks that the connection comes from that pod's own address. Pure.
import { createHmac, timingSafeEqual } from 'node:crypto';

export interface PodClaims {
  tenantId: string;
  clusterId: string;
  uid: string;
  namespace: string;
}

const PREFIX = 'e1';
/** Longer tokens are refused before any parsing (claims are four short ids). */
export const MAX_TOKEN_CHARS = 1024;
/** A key shorter than this is refused at load. */
export const MIN_KEY_BYTES = 32;

export class EgressTokens {
  constructor(private readonly key: Buffer) {
    if (key.length < MIN_KEY_BYTES) throw new Error(`the egress token key must be at least ${MIN_KEY_BYTES} bytes; got ${key.length}`);
  }

  mint(c: PodClaims): string {
    const claims = Buffer.from(JSON.stringify([c.tenantId, c.clusterId, c.uid, c.namespace])).toString('base64url');
    return `${PREFIX}.${claims}.${this.mac(claims)}`;
  }

  /** The claims of a genuine token, or undefined (malformed, oversized, forged). Never throws. */
  verify(token: string): PodClaims | undefined {
    if (typeof token !== 'string' || token.length > MAX_TOKEN_CHARS) return undefined;
    const parts = token.split('.');
    if (parts.length !== 3 || parts[0] !== PREFIX) return undefined;
    const [, claims, mac] = parts;
    const want = Buffer.from(this.mac(claims), 'base64url');
    const got = Buffer.from(mac, 'base64url');
    if (got.length !== want.length || !timingSafeEqual(got, want)) return undefined;
    try {
      const v: unknown = JSON.parse(Buffer.from(claims, 'base64url').toString('utf8'));
      if (!Array.isArray(v) || v.length !== 4 || !v.every((x) => typeof x === 'string' && x.length > 0 && x.length <= 253)) return undefined;
      const [tenantId, clusterId, uid, namespace] = v as string[];
      return { tenantId, clusterId, uid, namespace };
    } catch {
      return undefined;
    }
  }

  private mac(claims: string): string {
    return createHmac('sha256', this.key).update(`${PREFIX}.${claims}`).digest('base64url');
  }
}
