// The agent's node identity, obtained and kept like the kubelet's client certificate: reuse a stored
// certificate that is still valid for this node and key, or bootstrap one through the CSR API with the
// bootstrap credential; renew it at 70-90% of its validity with a new key and a new CSR; swap it into the
// node KubeConfig without dropping work. While a request waits for approval the log and an Event say so.
import type { KubeConfig, V1Pod } from '@kubernetes/client-node';
import { PooledKubeConfig } from '../pooled-kubeconfig.js';
import { EventRecorder } from '../events.js';
import { errorMessage } from '../errors.js';
import { logger } from '../../../common/log.js';
import { CredentialError, generateNodeKey, nodeCredential, nodeCsrName, nodeCsrPem, nodeUserName, type NodeCredential } from './csr.js';
import { CsrClient, CertificateDeniedError, CsrGoneError, approveCommand } from './csr-client.js';
import { DirCertStore, MemoryCertStore, type CertStore } from './cert-store.js';
import { RotationScheduler } from './rotation.js';
import { systemClock, type Clock } from '../../../common/clock.js';

export const PENDING_EVENT_REASON = 'CertificatePending';

export interface NodeIdentityOptions {
  nodeName: string;
  /** Directory for the key and certificate (kept 0600, reused on restart); undefined = memory only. */
  certDir?: string;
  /** spec.expirationSeconds of each request (at least 600); undefined = the signer's default. */
  expirationSeconds?: number;
  /** While a request waits for approval, the log and the Event repeat this often (default 60 s). */
  approvalReminderMs?: number;
  /** The agent's own Pod: the pending-approval Event goes there (written with the bootstrap credential). */
  pod?: { name: string; namespace: string; uid?: string };
  /** Connections of a replaced certificate still open this long after a renewal are closed (default 60 s). */
  drainMs?: number;
  /** Poll delays while waiting for issuance (defaults 100 ms, capped at 5 s). */
  poll?: { initialMs?: number; maxMs?: number };
  /** Back-off of a failed renewal (defaults 5 s, capped at 5 min). */
  retry?: { baseMs?: number; maxMs?: number };
  clock?: Clock;
  random?: () => number;
}

/** A KubeConfig for the bootstrap credential's cluster with a (not yet filled) client-certificate user. */
function nodeKubeConfig(bootstrap: KubeConfig): PooledKubeConfig {
  const cluster = bootstrap.getCurrentCluster();
  if (!cluster) throw new Error('the bootstrap kubeconfig has no current cluster');
  const kc = new PooledKubeConfig();
  kc.loadFromOptions({
    clusters: [cluster],
    users: [{ name: 'node-identity' }],
    contexts: [{ name: 'node-identity', cluster: cluster.name, user: 'node-identity' }],
    currentContext: 'node-identity',
  });
  return kc;
}

export class NodeIdentity {
  /** Every kubelet-like request goes through this; its certificate is filled in by start(). */
  readonly kubeConfig: PooledKubeConfig;
  /** Names of the CSRs this identity filed, oldest first. */
  readonly requested: string[] = [];
  private readonly log = logger('node-identity');
  private readonly csrs: CsrClient;
  private readonly store: CertStore;
  private readonly scheduler: RotationScheduler;
  private readonly events?: EventRecorder;
  private readonly clock: Clock;
  private readonly abort = new AbortController();
  private current?: NodeCredential;

  constructor(
    bootstrap: KubeConfig,
    private readonly o: NodeIdentityOptions,
  ) {
    this.kubeConfig = nodeKubeConfig(bootstrap);
    this.clock = o.clock ?? systemClock;
    this.csrs = new CsrClient(bootstrap, { clock: this.clock, pollInitialMs: o.poll?.initialMs, pollMaxMs: o.poll?.maxMs });
    this.store = o.certDir ? new DirCertStore(o.certDir) : new MemoryCertStore();
    if (o.pod) this.events = new EventRecorder(bootstrap, o.nodeName, { writers: 1 });
    this.scheduler = new RotationScheduler({
      rotate: () => this.renew(),
      clock: this.clock,
      random: o.random,
      retryBaseMs: o.retry?.baseMs,
      retryMaxMs: o.retry?.maxMs,
      onError: (e, attempt, retryInMs) =>
        this.log.error({ err: errorMessage(e), attempt, retryInMs, expires: this.current?.notAfter.toISOString() }, 'could not renew the node client certificate; will retry'),
    });
  }

  /** The certificate in use. */
  get credential(): NodeCredential | undefined {
    return this.current;
  }

  /** When the next renewal is planned (ms since the epoch). */
  get nextRenewal(): number | undefined {
    return this.scheduler.nextRenewal;
  }

  /** Reuses a stored certificate or bootstraps one (waiting for approval as long as it takes), then plans renewal. */
  async start(): Promise<void> {
    const cred = this.loadStored() ?? (await this.obtain());
    this.use(cred, 'start');
    this.scheduler.schedule(cred);
  }

  /** Renews now with a new key and CSR (tests; an operator's forced rotation). */
  rotateNow(): Promise<void> {
    return this.scheduler.trigger();
  }

  stop(): void {
    this.abort.abort();
    this.scheduler.stop();
    this.kubeConfig.close();
  }

  private async renew(): Promise<NodeCredential> {
    const cred = await this.obtain();
    this.use(cred, 'renewal');
    return cred;
  }

  private use(cred: NodeCredential, why: 'start' | 'renewal'): void {
    this.kubeConfig.useClientCertificate(cred.certPem, cred.keyPem, this.o.drainMs);
    this.current = cred;
    this.log.info({ node: this.o.nodeName, user: nodeUserName(this.o.nodeName), serial: cred.serial, notAfter: cred.notAfter.toISOString(), store: this.store.where, why }, 'using node client certificate');
  }

  private loadStored(): NodeCredential | undefined {
    try {
      const stored = this.store.loadCurrent();
      if (!stored) return undefined;
      return nodeCredential(this.o.nodeName, stored.certPem, stored.key, new Date(this.clock.now()));
    } catch (e) {
      if (!(e instanceof CredentialError)) throw e;
      this.log.info({ store: this.store.where, why: e.message }, 'stored node certificate not usable; requesting a new one');
      return undefined;
    }
  }

  /** Files a CSR for a key (the pending one of an interrupted wait, or a new one) and waits for its certificate. */
  private async obtain(): Promise<NodeCredential> {
    const node = this.o.nodeName;
    const key = this.store.loadPendingKey() ?? (await generateNodeKey());
    this.store.savePendingKey(key);
    const csrPem = await nodeCsrPem(node, key);
    for (;;) {
      const name = await this.csrs.submit(nodeCsrName(node, key), csrPem, key.spki, this.o.expirationSeconds);
      if (this.requested.at(-1) !== name) this.requested.push(name);
      this.log.info({ csr: name, node }, 'requested a node client certificate');
      try {
        const certPem = await this.csrs.waitIssued(name, {
          reminderMs: this.o.approvalReminderMs ?? 60_000,
          signal: this.abort.signal,
          onPending: (_csr, waitedMs) => this.pending(name, waitedMs),
        });
        const cred = nodeCredential(node, certPem, key, new Date(this.clock.now()));
        this.store.saveCurrent(cred.certPem, key);
        this.store.clearPendingKey();
        return cred;
      } catch (e) {
        if (e instanceof CsrGoneError && !this.abort.signal.aborted) continue;
        // A refused request or an unusable certificate is not asked for again with the same key.
        if (e instanceof CertificateDeniedError || e instanceof CredentialError) this.store.clearPendingKey();
        throw e;
      }
    }
  }

  private async pending(csrName: string, waitedMs: number): Promise<void> {
    const message = `node client certificate request ${csrName} for ${nodeUserName(this.o.nodeName)} is waiting for approval (auto-approval needs the bootstrap identity to be allowed to create certificatesigningrequests/nodeclient); approve it with: ${approveCommand(csrName)}`;
    this.log.warn({ csr: csrName, node: this.o.nodeName, waitedSeconds: Math.round(waitedMs / 1000), command: approveCommand(csrName) }, message);
    const pod = this.o.pod;
    if (!this.events || !pod) return;
    const self: V1Pod = { metadata: { name: pod.name, namespace: pod.namespace, uid: pod.uid } };
    // The same message each time: the recorder counts the repeats on one Event.
    await this.events.record(self, 'Warning', PENDING_EVENT_REASON, message);
  }
}
