// Per-scope status sequence for the status watch: subscribes to the provider once per tenant cluster,
// numbers each pod state change (epoch, seq) and keeps a bounded history for resumes. The epoch is
// random per relay process, so a resume against another process/replica falls back to a snapshot.
import { randomUUID } from 'node:crypto';
import type { PodProvider, PodState, TenantScope } from '../pod-provider/provider.js';
import { scopeKey } from './keys.js';

interface SequencedState {
  seq: number;
  state: PodState;
}

export class ScopeSequence {
  seq = 0;
  private readonly history: SequencedState[] = [];
  private readonly waiters = new Set<() => void>();

  constructor(private readonly capacity: number) {}

  push(state: PodState): void {
    this.history.push({ seq: ++this.seq, state });
    if (this.history.length > this.capacity) this.history.shift();
    for (const w of [...this.waiters]) w();
  }

  /** Changes after `cursor` (bounded by `max`), or undefined if history no longer reaches back that far. */
  since(cursor: number, max: number): SequencedState[] | undefined {
    if (cursor > this.seq) return undefined;
    if (cursor === this.seq) return [];
    const oldest = this.history[0]?.seq ?? this.seq + 1;
    if (cursor + 1 < oldest) return undefined;
    const start = cursor + 1 - oldest;
    return this.history.slice(start, start + max);
  }

  /** Resolves on the next push or after `ms`, whichever is first; `abort` cancels it. */
  waitForChange(ms: number, signal: AbortSignal): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.waiters.delete(done);
        signal.removeEventListener('abort', done);
        resolve();
      };
      const timer = setTimeout(done, ms);
      this.waiters.add(done);
      signal.addEventListener('abort', done, { once: true });
    });
  }
}

export class StatusHub {
  readonly epoch = randomUUID();
  private readonly scopes = new Map<string, { seq: ScopeSequence; unsubscribe: () => void }>();

  constructor(private readonly capacity: number) {}

  forScope(scope: TenantScope, provider: PodProvider): ScopeSequence {
    const key = scopeKey(scope.tenantId, scope.clusterId);
    let entry = this.scopes.get(key);
    if (!entry) {
      const seq = new ScopeSequence(this.capacity);
      entry = { seq, unsubscribe: provider.watch(scope, (s) => seq.push(s)) };
      this.scopes.set(key, entry);
    }
    return entry.seq;
  }

  close(): void {
    for (const e of this.scopes.values()) e.unsubscribe();
    this.scopes.clear();
  }
}
