// Where the relay keeps networking mode `tunnel`'s outbound state, per tenant cluster and only in memory (the
// agent sends it again on every connect): the Services its agent exports, the sidecars watching the ones their
// namespace may reach, and the dials in flight (a sidecar's connection waiting for the agent's
// EgressConnection that answers it). What a pod may reach is decided here, from the agent's latest exports.
import type { Duplex } from 'node:stream';
import { randomUUID } from 'node:crypto';
import type { ExportedService__Output } from '../../../proto/gen/ecigw/tunnel/v1/ExportedService.js';
import type { EgressDial } from '../../../proto/gen/ecigw/tunnel/v1/EgressDial.js';
import type { ExportEntry } from '../../../proto/gen/ecigw/egress/v1/ExportEntry.js';

export type ExportedService = ExportedService__Output;

/** The agent's end of the outbound path: its Egress stream. */
export interface AgentEgressLink {
  /** Sends a dial request to the agent; false when the stream is gone. */
  dial(d: EgressDial): boolean;
}

/** A dial the agent answered: its connection's bytes, and `release` once the sidecar side is done with them. */
export interface AnsweredDial {
  bridge: Duplex;
  release: () => void;
}

interface Pending {
  scope: string;
  resolve: (a: AnsweredDial) => void;
  reject: (e: Error) => void;
}

/** Why a dial failed, for the sidecar's status and the relay's metrics. */
export class EgressRefused extends Error {
  constructor(
    readonly reason: 'not_exported' | 'no_agent' | 'agent_timeout' | 'agent_error' | 'too_many',
    message: string,
  ) {
    super(message);
    this.name = 'EgressRefused';
  }
}

/** Whether pods of `podNamespace` may reach the export. */
const reaches = (e: ExportedService, podNamespace: string): boolean => e.allNamespaces || e.toNamespaces.includes(podNamespace);

export class EgressRegistry {
  private readonly agents = new Map<string, { link: AgentEgressLink; exports: ExportedService[] }>();
  private readonly watchers = new Map<string, Set<{ namespace: string; cb: (list: ExportEntry[]) => void }>>();
  private readonly pending = new Map<string, Pending>();

  constructor(private readonly o: { maxPending: number; dialTimeoutMs: number }) {}

  /** The agent's Egress stream opened (a newer one replaces an older); returns its detach. */
  attach(scope: string, link: AgentEgressLink): () => void {
    this.agents.set(scope, { link, exports: [] });
    return () => {
      if (this.agents.get(scope)?.link !== link) return;
      this.agents.delete(scope);
      this.notify(scope);
    };
  }

  /** The agent's complete export set (replaces the previous one); watchers hear what changed for them. */
  update(scope: string, link: AgentEgressLink, exports: ExportedService[]): void {
    const a = this.agents.get(scope);
    if (a?.link !== link) return;
    a.exports = exports;
    this.notify(scope);
  }

  /** What pods of `namespace` may reach now (nothing while no agent is attached). */
  visible(scope: string, namespace: string): ExportEntry[] {
    return (this.agents.get(scope)?.exports ?? []).filter((e) => reaches(e, namespace)).map((e) => ({ namespace: e.namespace, name: e.name, ports: e.ports.map((p) => p.port) }));
  }

  /** Calls `cb` with the visible list now and after every change; returns the unsubscribe. */
  watch(scope: string, namespace: string, cb: (list: ExportEntry[]) => void): () => void {
    let set = this.watchers.get(scope);
    if (!set) this.watchers.set(scope, (set = new Set()));
    const w = { namespace, cb };
    set.add(w);
    cb(this.visible(scope, namespace));
    return () => {
      set.delete(w);
      if (set.size === 0) this.watchers.delete(scope);
    };
  }

  /** Why pods of `podNamespace` may not reach namespace/name:port, or undefined when they may. */
  refusal(scope: string, podNamespace: string, namespace: string, name: string, port: number): string | undefined {
    const e = this.agents.get(scope)?.exports.find((x) => x.namespace === namespace && x.name === name);
    if (!e || !reaches(e, podNamespace)) return `Service ${namespace}/${name} is not exported to burst pods of namespace ${podNamespace}`;
    if (!e.ports.some((p) => p.port === port)) return `Service ${namespace}/${name} has no exported port ${port}`;
    return undefined;
  }

  /**
   * Asks the scope's agent to reach an exported Service for a pod and waits for its EgressConnection (at
   * most dialTimeoutMs). Throws EgressRefused.
   */
  async dial(scope: string, req: Omit<EgressDial, 'connId'>, signal: AbortSignal): Promise<AnsweredDial> {
    const why = this.refusal(scope, req.podNamespace ?? '', req.namespace ?? '', req.name ?? '', req.port ?? 0);
    if (why) throw new EgressRefused('not_exported', why);
    const agent = this.agents.get(scope);
    if (!agent) throw new EgressRefused('no_agent', 'the cluster\'s agent is not connected');
    if (this.pending.size >= this.o.maxPending) throw new EgressRefused('too_many', `${this.pending.size} egress dials are already waiting for agents`);
    const connId = randomUUID();
    return await new Promise<AnsweredDial>((resolve, reject) => {
      const done = () => {
        clearTimeout(timer);
        signal.removeEventListener('abort', onAbort);
        this.pending.delete(connId);
      };
      const timer = setTimeout(() => (done(), reject(new EgressRefused('agent_timeout', `the agent did not answer within ${this.o.dialTimeoutMs} ms`))), this.o.dialTimeoutMs);
      const onAbort = () => (done(), reject(new EgressRefused('agent_error', 'the connection ended before the agent answered')));
      signal.addEventListener('abort', onAbort, { once: true });
      this.pending.set(connId, { scope, resolve: (a) => (done(), resolve(a)), reject: (e) => (done(), reject(e)) });
      if (!agent.link.dial({ ...req, connId })) this.pending.get(connId)?.reject(new EgressRefused('no_agent', 'the agent\'s egress stream is gone'));
    });
  }

  /**
   * The agent's EgressConnection for `connId`: hands its bytes (or its dial error) to the waiting sidecar
   * connection. Resolves when that connection is done with them; false when no dial of this scope waits for it.
   */
  answer(scope: string, connId: string, error: string, bridge: Duplex): Promise<boolean> {
    const p = this.pending.get(connId);
    if (!p || p.scope !== scope) return Promise.resolve(false);
    if (error) {
      p.reject(new EgressRefused('agent_error', `the agent could not reach the Service: ${error}`));
      return Promise.resolve(true);
    }
    return new Promise((resolve) => p.resolve({ bridge, release: () => resolve(true) }));
  }

  private notify(scope: string): void {
    for (const w of this.watchers.get(scope) ?? []) w.cb(this.visible(scope, w.namespace));
  }
}
