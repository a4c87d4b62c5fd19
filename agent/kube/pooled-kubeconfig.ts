// A KubeConfig whose requests share keep-alive connections to the API server.
//
// @kubernetes/client-node 2.x sends every API call through undici's fetch with a dispatcher that
// applySecurityAuthentication builds anew for each call (only the https.Agent of createAgent is cached), so
// each call pays a TLS handshake and leaves a connection pool for the garbage collector: at thousands of pods
// that is most of the agent's CPU. Here the library still resolves the credentials of every request (tokens
// and exec plugins are re-read as before, through applyToHTTPSOptions); only the dispatcher is swapped for one
// shared undici Agent per TLS identity. Proxied clusters keep the library's own dispatcher.
// A rotated client certificate (useClientCertificate) takes effect for the next request; the old pools take
// no new requests and are closed once drained.
import { createHash } from 'node:crypto';
import type https from 'node:https';
import { KubeConfig, type RequestContext } from '@kubernetes/client-node';
import { Agent } from 'undici';

/** Options that make two pools interchangeable: the TLS identity and server checks. */
const IDENTITY_KEYS = ['ca', 'cert', 'key', 'pfx', 'passphrase', 'rejectUnauthorized', 'servername'] as const;
type Identity = Pick<https.AgentOptions, (typeof IDENTITY_KEYS)[number]>;
const MAX_POOLS = 4;

interface PoolOptions {
  /** Idle connections close after this long: well before the API server's 90 s idle timeout, so a request never lands on a connection the server is closing. */
  idleMs: number;
  /** TCP keep-alive probes start after this long (client-go's 30 s). */
  keepAliveInitialDelayMs: number;
}

const DEFAULT_POOL: PoolOptions = { idleMs: 30_000, keepAliveInitialDelayMs: 30_000 };

export class PooledKubeConfig extends KubeConfig {
  private readonly pools = new Map<string, Agent>();
  private readonly retiring = new Set<Agent>();

  constructor(private readonly poolOptions: PoolOptions = DEFAULT_POOL) {
    super();
  }

  override async applySecurityAuthentication(context: RequestContext): Promise<void> {
    const opts: https.RequestOptions = {};
    await this.applyToHTTPSOptions(opts);
    const identity = identityOf(opts);
    if (this.createDispatcherOptions(this.getCurrentCluster(), identity).type !== 'agent') return super.applySecurityAuthentication(context);
    // What the library's own applySecurityAuthentication sends: basic auth, then the credential headers.
    if (opts.auth) context.setHeaderParam('Authorization', `Basic ${Buffer.from(opts.auth).toString('base64')}`);
    for (const [name, value] of Object.entries(opts.headers ?? {})) if (value !== undefined) context.setHeaderParam(name, String(value));
    context.setDispatcher(this.pooled(identity));
  }

  /** Number of distinct connection pools in use (one unless credentials rotated). */
  get poolCount(): number {
    return this.pools.size;
  }

  /** Pools of replaced credentials whose connections are not all closed yet. */
  get retiringCount(): number {
    return this.retiring.size;
  }

  /**
   * Makes this client certificate (PEM) the current user's credential. The next request uses it, on a new
   * connection. The pools of the previous credential take no new requests and are destroyed after
   * `drainMs`, which ends what still runs on them (a long watch, which its informer then re-opens with the
   * new certificate).
   */
  useClientCertificate(certPem: string, keyPem: string, drainMs = 60_000): void {
    const ctx = this.getContextObject(this.getCurrentContext());
    if (!ctx) throw new Error('the kubeconfig has no current context');
    const user = { name: ctx.user, certData: Buffer.from(certPem).toString('base64'), keyData: Buffer.from(keyPem).toString('base64') };
    this.users = [...this.users.filter((u) => u.name !== ctx.user), user];
    for (const pool of this.pools.values()) this.retire(pool, drainMs);
    this.pools.clear();
    this.last = undefined;
  }

  /** Closes every pooled connection, also those of replaced credentials. */
  close(): void {
    for (const a of [...this.pools.values(), ...this.retiring]) void a.destroy().catch(() => undefined);
    this.pools.clear();
    this.retiring.clear();
    this.last = undefined;
  }

  private retire(pool: Agent, drainMs: number): void {
    this.retiring.add(pool);
    const done = () => this.retiring.delete(pool);
    // Out of `pools`, it takes no new requests; what still runs after drainMs is cut. (Not Agent.close():
    // a destroy() after it no longer aborts a running request in undici 8, so a watch would hang on.)
    setTimeout(() => void pool.destroy().then(done, done), drainMs).unref();
  }

  /**
   * The identity values of the last lookup and its pool. Until credentials rotate every request carries
   * the same values (strings, or Buffers that client-node re-creates per request with the same bytes),
   * so comparing them skips hashing the PEMs per request.
   */
  private last?: { values: unknown[]; pool: Agent };

  private pooled(identity: Identity): Agent {
    const values = IDENTITY_KEYS.map((k) => identity[k]);
    const last = this.last;
    if (last && values.every((v, i) => sameValue(v, last.values[i]))) return last.pool;
    const pool = this.poolFor(identity);
    this.last = { values, pool };
    return pool;
  }

  private poolFor(identity: Identity): Agent {
    const h = createHash('sha256');
    for (const k of IDENTITY_KEYS) {
      const v = identity[k];
      h.update(`${k}=`);
      if (Buffer.isBuffer(v)) h.update(v);
      else h.update(JSON.stringify(v ?? null));
      h.update(';');
    }
    const id = h.digest('hex');
    let pool = this.pools.get(id);
    if (!pool) {
      const { idleMs, keepAliveInitialDelayMs } = this.poolOptions;
      pool = new Agent({
        connect: { ...identity, keepAlive: true, keepAliveInitialDelay: keepAliveInitialDelayMs },
        keepAliveTimeout: idleMs,
        keepAliveMaxTimeout: idleMs,
      });
      this.pools.set(id, pool);
      // Rotated credentials: retire the oldest pool once its connections are idle.
      if (this.pools.size > MAX_POOLS) {
        const [oldId, old] = this.pools.entries().next().value as [string, Agent];
        this.pools.delete(oldId);
        if (this.last?.pool === old) this.last = undefined;
        this.retire(old, 60_000);
      }
    }
    return pool;
  }
}

/** The TLS identity fields of request options, without the ones left unset. */
function identityOf(opts: https.RequestOptions): Identity {
  return Object.fromEntries(IDENTITY_KEYS.filter((k) => opts[k] !== undefined).map((k) => [k, opts[k]]));
}

/** Equal credential values: the same string or object, or Buffers with the same bytes. */
function sameValue(a: unknown, b: unknown): boolean {
  return a === b || (Buffer.isBuffer(a) && Buffer.isBuffer(b) && a.equals(b));
}
