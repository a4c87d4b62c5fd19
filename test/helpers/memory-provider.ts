// A test double of PodProvider for relay/agent tests and benches (never production code): keeps pods in
// memory, bumps status versions, and simulates sessions (exec runs a few built-in commands, logs emits lines,
// port-forward dials a real local TCP port). Shared by several relays it behaves like the cloud behind them.
import { connect } from 'node:net';
import { pipeline } from 'node:stream/promises';
import type { Duplex, Writable } from 'node:stream';
import {
  ProviderError,
  type ApplyResult,
  type DeleteResult,
  type ExecIO,
  type ExecRequest,
  type ExitStatus,
  type InventoryEntry,
  type LogsRequest,
  type PodIntent,
  type PodProvider,
  type PodState,
  type PodStateListener,
  type PodStats,
  type PortForwardRequest,
  type ReconcileResult,
  type TenantScope,
} from '../../cloud/pod-provider/provider.js';
import { diffInventory } from '../../cloud/pod-provider/reconcile.js';

interface PodRecord {
  scopeKey: string;
  intent: PodIntent;
  state: PodState;
}

export interface MemoryProviderOptions {
  /** Port-forward target for a pod port; default 127.0.0.1:<port>. */
  portTarget?: (uid: string, port: number) => { host: string; port: number };
  /** Orphans found by reconcile are deleted once they have been orphans this long (ms). */
  orphanGraceMs?: number;
  /** Interval between lines of a followed log (ms). */
  logFollowIntervalMs?: number;
}

const scopeKeyOf = (s: TenantScope) => `${s.tenantId}/${s.clusterId}`;

export class MemoryProvider implements PodProvider {
  private readonly pods = new Map<string, PodRecord>();
  private readonly listeners = new Map<string, Set<PodStateListener>>();
  private readonly orphanSince = new Map<string, number>();
  private readonly podsPerScope = new Map<string, number>();
  private nextId = 1;
  /** Bytes the simulated `yes` command has managed to write (tests: proves backpressure bounds it). */
  producedBytes = 0;
  /** `yes` commands blocked on a full stream, waiting for 'drain' (tests: the reader's backpressure reached them). */
  pausedProducers = 0;

  constructor(private readonly opts: MemoryProviderOptions = {}) {}

  // ---- pod lifecycle ----

  apply(scope: TenantScope, intent: PodIntent): Promise<ApplyResult> {
    return settle(() => this.applyNow(scope, intent));
  }

  private applyNow(scope: TenantScope, intent: PodIntent): ApplyResult {
    const rec = this.owned(scope, intent.uid, true);
    if (rec && rec.state.generation >= intent.generation) {
      return { uid: intent.uid, generation: rec.state.generation, providerId: rec.state.providerId, changed: false };
    }
    const meta = podMeta(intent.podJson);
    if (!rec) {
      const count = this.podsPerScope.get(scopeKeyOf(scope)) ?? 0;
      if (count >= scope.tenant.quotas.maxPods) {
        throw new ProviderError('RESOURCE_EXHAUSTED', `tenant ${scope.tenantId} quota maxPods=${scope.tenant.quotas.maxPods} reached`);
      }
    }
    const providerId = rec?.state.providerId ?? `mem-${String(this.nextId++).padStart(6, '0')}`;
    const state: PodState = {
      uid: intent.uid,
      namespace: meta.namespace,
      name: meta.name,
      generation: intent.generation,
      providerId,
      statusVersion: (rec?.state.statusVersion ?? 0) + 1,
      statusJson: statusJson('Pending'),
      events: [{ reason: 'Scheduled', message: `container group ${providerId}`, type: 'Normal', count: 1, firstTime: now(), lastTime: now() }],
      gone: false,
    };
    if (!rec) this.podsPerScope.set(scopeKeyOf(scope), (this.podsPerScope.get(scopeKeyOf(scope)) ?? 0) + 1);
    this.pods.set(intent.uid, { scopeKey: scopeKeyOf(scope), intent, state });
    this.emit(state);
    setImmediate(() => this.setPhase(intent.uid, 'Running'));
    return { uid: intent.uid, generation: intent.generation, providerId, changed: true };
  }

  delete(scope: TenantScope, uid: string, _gracePeriodSeconds: number): Promise<DeleteResult> {
    return settle(() => this.deleteNow(scope, uid));
  }

  private deleteNow(scope: TenantScope, uid: string): DeleteResult {
    const rec = this.owned(scope, uid, true);
    if (!rec) return { uid, existed: false };
    this.pods.delete(uid);
    this.podsPerScope.set(rec.scopeKey, (this.podsPerScope.get(rec.scopeKey) ?? 1) - 1);
    this.orphanSince.delete(uid);
    this.emit({ ...rec.state, statusVersion: rec.state.statusVersion + 1, gone: true, events: [] });
    return { uid, existed: true };
  }

  get(scope: TenantScope, uid: string): Promise<PodState | undefined> {
    return settle(() => this.owned(scope, uid, true)?.state);
  }

  list(scope: TenantScope): Promise<PodState[]> {
    const key = scopeKeyOf(scope);
    return Promise.resolve([...this.pods.values()].filter((p) => p.scopeKey === key).map((p) => p.state));
  }

  watch(scope: TenantScope, listener: PodStateListener): () => void {
    const key = scopeKeyOf(scope);
    let set = this.listeners.get(key);
    if (!set) this.listeners.set(key, (set = new Set()));
    set.add(listener);
    return () => set.delete(listener);
  }

  async reconcile(scope: TenantScope, inventory: InventoryEntry[]): Promise<ReconcileResult> {
    const result = diffInventory(inventory, await this.list(scope));
    const grace = this.opts.orphanGraceMs ?? 60_000;
    const t = Date.now();
    for (const o of result.orphans) {
      const since = this.orphanSince.get(o.uid) ?? t;
      this.orphanSince.set(o.uid, since);
      if (t - since >= grace) await this.delete(scope, o.uid, 0);
    }
    return result;
  }

  /** Test/bench hook: move a pod to a phase (bumps its status version and notifies watchers). */
  setPhase(uid: string, phase: string): void {
    const rec = this.pods.get(uid);
    if (!rec) return;
    rec.state = { ...rec.state, statusVersion: rec.state.statusVersion + 1, statusJson: statusJson(phase), events: [] };
    this.emit(rec.state);
  }

  /** Test hook: every pod of every scope. */
  allPods(): PodState[] {
    return [...this.pods.values()].map((p) => p.state);
  }

  // ---- sessions ----

  async exec(scope: TenantScope, req: ExecRequest, io: ExecIO): Promise<ExitStatus> {
    this.requirePod(scope, req.podUid);
    const [cmd, ...args] = req.command;
    switch (cmd) {
      case 'echo':
        await writeAll(io.stdout, Buffer.from(args.join(' ') + '\n'));
        return ok();
      case 'cat':
        if (io.stdin) await pipeline(io.stdin, io.stdout, { end: false, signal: io.signal });
        return ok();
      case 'stderr':
        await writeAll(io.stderr, Buffer.from(args.join(' ') + '\n'));
        return ok();
      case 'exit':
        return { code: Number(args[0] ?? 0), reason: Number(args[0] ?? 0) === 0 ? '' : 'NonZeroExitCode', message: '' };
      case 'yes': {
        // Writes `args[0]` bytes (default: until aborted) in 32 KiB chunks, honouring backpressure.
        const total = args[0] ? Number(args[0]) : Infinity;
        const chunk = Buffer.alloc(32 * 1024, 0x79);
        let sent = 0;
        while (sent < total && !io.signal.aborted) {
          const piece = total - sent < chunk.length ? chunk.subarray(0, total - sent) : chunk;
          const written = writeAll(io.stdout, piece);
          const paused = io.stdout.writableNeedDrain;
          if (paused) this.pausedProducers++;
          try {
            await written;
          } finally {
            if (paused) this.pausedProducers--;
          }
          sent += piece.length;
          this.producedBytes += piece.length;
        }
        return ok();
      }
      case 'count': {
        // Reads stdin to the end and prints how many bytes it saw.
        let n = 0;
        if (io.stdin) for await (const c of io.stdin) n += (c as Buffer).length;
        await writeAll(io.stdout, Buffer.from(`${n}\n`));
        return ok();
      }
      case 'size': {
        // Prints the first terminal size it receives.
        for await (const s of io.resize as AsyncIterable<{ cols: number; rows: number }>) {
          await writeAll(io.stdout, Buffer.from(`${s.cols}x${s.rows}\n`));
          break;
        }
        return ok();
      }
      default:
        return { code: 127, reason: 'CommandNotFound', message: `memory provider: unknown command ${JSON.stringify(cmd ?? '')}` };
    }
  }

  async attach(scope: TenantScope, req: ExecRequest, io: ExecIO): Promise<ExitStatus> {
    this.requirePod(scope, req.podUid);
    if (io.stdin) await pipeline(io.stdin, io.stdout, { end: false, signal: io.signal });
    return ok();
  }

  async logs(scope: TenantScope, req: LogsRequest, sink: Writable, signal: AbortSignal): Promise<void> {
    const rec = this.requirePod(scope, req.podUid);
    const lines = Array.from({ length: 10 }, (_, i) => `${rec.state.name}/${req.container} line ${i + 1}`);
    let selected = req.tailLines != null ? lines.slice(Math.max(0, lines.length - Number(req.tailLines))) : lines;
    let budget = req.limitBytes != null ? Number(req.limitBytes) : Infinity;
    const emit = async (line: string): Promise<boolean> => {
      let b = Buffer.from((req.timestamps ? `${now()} ` : '') + line + '\n');
      if (b.length > budget) b = b.subarray(0, budget);
      budget -= b.length;
      if (b.length) await writeAll(sink, b);
      return budget > 0;
    };
    for (const l of selected) if (!(await emit(l))) return;
    selected = [];
    let i = lines.length;
    while (req.follow && !signal.aborted) {
      await sleep(this.opts.logFollowIntervalMs ?? 100, signal);
      if (signal.aborted || !this.pods.has(req.podUid)) return;
      if (!(await emit(`${rec.state.name}/${req.container} line ${++i}`))) return;
    }
  }

  async portForward(scope: TenantScope, req: PortForwardRequest, stream: Duplex, signal: AbortSignal): Promise<void> {
    this.requirePod(scope, req.podUid);
    const target = this.opts.portTarget?.(req.podUid, req.port) ?? { host: '127.0.0.1', port: req.port };
    const socket = connect(target.port, target.host);
    await new Promise<void>((resolve, reject) => {
      socket.once('connect', resolve);
      socket.once('error', (e) => reject(new ProviderError('UNAVAILABLE', `port-forward to pod port ${req.port}: ${e.message}`)));
    });
    await Promise.all([pipeline(stream, socket, { signal }), pipeline(socket, stream, { signal })]);
  }

  async stats(scope: TenantScope, uids: string[]): Promise<PodStats[]> {
    const pods = await this.list(scope);
    return pods
      .filter((p) => uids.length === 0 || uids.includes(p.uid))
      .map((p) => ({
        uid: p.uid,
        namespace: p.namespace,
        name: p.name,
        time: now(),
        containers: [{ name: 'main', cpuUsageNanoCores: 1_000_000, cpuUsageCoreNanoSeconds: 5_000_000_000, memoryWorkingSetBytes: 16 << 20, memoryUsageBytes: 20 << 20, memoryRssBytes: 12 << 20 }],
        networkRxBytes: 1024,
        networkTxBytes: 2048,
      }));
  }

  // ---- internals ----

  /** The record for uid if it belongs to scope; PERMISSION_DENIED if it belongs to another scope. */
  private owned(scope: TenantScope, uid: string, allowAbsent: boolean): PodRecord | undefined {
    const rec = this.pods.get(uid);
    if (rec && rec.scopeKey !== scopeKeyOf(scope)) {
      throw new ProviderError('PERMISSION_DENIED', `pod ${uid} belongs to another tenant or cluster`);
    }
    if (!rec && !allowAbsent) throw new ProviderError('NOT_FOUND', `pod ${uid} not found`);
    return rec;
  }

  private requirePod(scope: TenantScope, uid: string): PodRecord {
    return this.owned(scope, uid, false) as PodRecord;
  }

  private emit(state: PodState): void {
    const rec = this.pods.get(state.uid);
    const key = rec?.scopeKey;
    for (const [k, set] of this.listeners) {
      if (key !== undefined && k !== key) continue;
      for (const l of set) l(state);
    }
  }
}

function podMeta(podJson: Buffer): { namespace: string; name: string } {
  let pod: unknown;
  try {
    pod = JSON.parse(podJson.toString('utf8'));
  } catch {
    throw new ProviderError('INVALID_ARGUMENT', 'intent.pod_json is not valid JSON');
  }
  const meta = (pod as { metadata?: { namespace?: unknown; name?: unknown } }).metadata;
  if (typeof meta?.name !== 'string') throw new ProviderError('INVALID_ARGUMENT', 'intent.pod_json.metadata.name missing');
  return { namespace: typeof meta.namespace === 'string' ? meta.namespace : 'default', name: meta.name };
}

function statusJson(phase: string): Buffer {
  return Buffer.from(JSON.stringify({ phase, conditions: [{ type: 'Ready', status: phase === 'Running' ? 'True' : 'False' }] }));
}

const now = () => new Date().toISOString();
const ok = (): ExitStatus => ({ code: 0, reason: '', message: '' });

async function writeAll(w: Writable, b: Buffer): Promise<void> {
  if (w.destroyed) throw new Error('session closed');
  if (w.write(b)) return;
  await new Promise<void>((resolve, reject) => {
    const done = (err?: Error) => {
      w.off('drain', onDrain);
      w.off('close', onClose);
      w.off('error', done);
      if (err) reject(err);
      else resolve();
    };
    const onDrain = () => done();
    const onClose = () => done(new Error('session closed'));
    w.once('drain', onDrain);
    w.once('close', onClose);
    w.once('error', done);
  });
}

/** Runs `fn` now; its result, or what it throws, as a promise (as an async function would). */
function settle<T>(fn: () => T): Promise<T> {
  return new Promise((resolve) => resolve(fn()));
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const t = setTimeout(resolve, ms);
    signal.addEventListener('abort', () => (clearTimeout(t), resolve()), { once: true });
  });
}
