// A KubeConfig whose requests share keep-alive connections to the API server.
//
// @kubernetes/client-node 1.x builds a new https.Agent for every request (kubernetes-client/javascript#2893),
// so each call pays a TLS handshake and leaves a TLS context for the garbage collector: at thousands of pods
// that is most of the agent's CPU and hundreds of MB of native memory. The 2.x line fixes it but needs
// Node 22. Here the library still applies credentials to every request (tokens are re-read as before); only
// the connection pool is swapped for one shared agent per TLS identity. Proxy agents are left alone.
// A rotated client certificate (useClientCertificate) takes effect for the next request; the old pools
// take no new requests and are closed once drained.
import { createHash } from 'node:crypto';
import https from 'node:https';
import { KubeConfig, type RequestContext } from '@kubernetes/client-node';

/** Options that make two agents interchangeable: the TLS identity and server checks. */
const IDENTITY_KEYS = ['ca', 'cert', 'key', 'pfx', 'passphrase', 'rejectUnauthorized', 'servername'] as const;
const MAX_POOLS = 4;

export class PooledKubeConfig extends KubeConfig {
  private readonly pools = new Map<string, https.Agent>();

  // Idle connections close after 30 s, well before the API server's 90 s idle timeout, so a request never
  // lands on a connection the server is closing. (The socket timeout only closes idle pooled sockets.)
  constructor(private readonly agentOptions: https.AgentOptions = { keepAlive: true, keepAliveMsecs: 30_000, maxFreeSockets: 64, timeout: 30_000 }) {
    super();
  }

  override async applySecurityAuthentication(context: RequestContext): Promise<void> {
    await super.applySecurityAuthentication(context);
    const pooled = this.pooled(context.getAgent());
    if (pooled) context.setAgent(pooled);
  }

  override async applyToFetchOptions(opts: https.RequestOptions): ReturnType<KubeConfig['applyToFetchOptions']> {
    const init = await super.applyToFetchOptions(opts);
    const withAgent = init as { agent?: unknown };
    const pooled = this.pooled(withAgent.agent);
    if (pooled) withAgent.agent = pooled;
    return init;
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
   * connection. The pools of the previous credential take no new requests: their idle connections close
   * now, busy ones when their request ends, and any still open after `drainMs` (a long watch, which its
   * informer then re-opens with the new certificate) are closed then.
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
    for (const a of [...this.pools.values(), ...this.retiring]) a.destroy();
    this.pools.clear();
    this.retiring.clear();
    this.last = undefined;
  }

  private readonly retiring = new Set<https.Agent>();

  private retire(pool: https.Agent, drainMs: number): void {
    this.retiring.add(pool);
    // A socket released by a finished request is destroyed instead of kept (the agent keeps a free socket
    // only while it has fewer than maxFreeSockets), and the idle ones go now.
    pool.maxFreeSockets = 0;
    for (const sockets of Object.values(pool.freeSockets)) for (const s of sockets ?? []) s.destroy();
    setTimeout(() => {
      pool.destroy();
      this.retiring.delete(pool);
    }, drainMs).unref();
  }

  /**
   * The identity values of the last lookup and its pool. Until credentials rotate every request carries
   * the same values (strings, or Buffers that client-node re-creates per request with the same bytes),
   * so comparing them skips hashing the PEMs per request.
   */
  private last?: { values: unknown[]; pool: https.Agent };

  private pooled(agent: unknown): https.Agent | undefined {
    // Exactly https.Agent: proxy agents subclass it and carry their own routing.
    if (!(agent instanceof https.Agent) || agent.constructor !== https.Agent) return undefined;
    const options = (agent as https.Agent & { options: https.AgentOptions }).options;
    const values = IDENTITY_KEYS.map((k) => options[k]);
    const last = this.last;
    if (last && values.every((v, i) => sameValue(v, last.values[i]))) return last.pool;
    const pool = this.poolFor(options);
    this.last = { values, pool };
    return pool;
  }

  private poolFor(options: https.AgentOptions): https.Agent {
    const h = createHash('sha256');
    for (const k of IDENTITY_KEYS) {
      const v = options[k];
      h.update(`${k}=`);
      if (Buffer.isBuffer(v)) h.update(v);
      else h.update(JSON.stringify(v ?? null));
      h.update(';');
    }
    const id = h.digest('hex');
    let pool = this.pools.get(id);
    if (!pool) {
      const identity = Object.fromEntries(IDENTITY_KEYS.filter((k) => options[k] !== undefined).map((k) => [k, options[k]]));
      pool = new https.Agent({ ...identity, ...this.agentOptions });
      this.pools.set(id, pool);
      // Rotated credentials: retire the oldest pool once its connections are idle.
      if (this.pools.size > MAX_POOLS) {
        const [oldId, old] = this.pools.entries().next().value as [string, https.Agent];
        this.pools.delete(oldId);
        if (this.last?.pool === old) this.last = undefined;
        setTimeout(() => old.destroy(), 60_000).unref();
      }
    }
    return pool;
  }
}

/** Equal credential values: the same string or object, or Buffers with the same bytes. */
function sameValue(a: unknown, b: unknown): boolean {
  return a === b || (Buffer.isBuffer(a) && Buffer.isBuffer(b) && a.equals(b));
}
