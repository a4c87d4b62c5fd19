// A keyed, rate-limited work queue in the manner of client-go's: a key waits in the queue at most once,
// is processed by one worker at a time (a key re-added while processing runs again afterwards), and
// failed keys come back after a per-key exponential back-off. Memory is bounded by the number of keys.
// The back-off runs on an injected clock (common/clock.ts; the real one by default).
import { systemClock, type Clock } from '../../common/clock.js';

type Handler = (key: string) => Promise<void>;

interface WorkQueueOptions {
  workers: number;
  baseDelayMs?: number;
  maxDelayMs?: number;
  onError?: (key: string, err: unknown, retries: number) => void;
  /** The clock of delayed adds and back-offs (tests drive a fake one). */
  clock?: Clock;
}

export class WorkQueue {
  private readonly queue: string[] = [];
  private readonly queued = new Set<string>();
  private readonly processing = new Set<string>();
  private readonly dirty = new Set<string>();
  private readonly failures = new Map<string, number>();
  private readonly delayed = new Map<string, unknown>();
  private active = 0;
  private stopped = false;
  private idleWaiters: (() => void)[] = [];
  private readonly clock: Clock;

  constructor(
    private readonly handler: Handler,
    private readonly opts: WorkQueueOptions,
  ) {
    this.clock = opts.clock ?? systemClock;
  }

  get length(): number {
    return this.queue.length;
  }

  /** Keys waiting in any form (queued, waiting for a retry, or re-added while processing); at most one entry per key each. */
  get pending(): { queued: number; delayed: number; dirty: number; processing: number } {
    return { queued: this.queue.length, delayed: this.delayed.size, dirty: this.dirty.size, processing: this.processing.size };
  }

  /** Queues the key now (cancelling a pending delayed retry). */
  add(key: string): void {
    if (this.stopped) return;
    const t = this.delayed.get(key);
    if (t !== undefined) {
      this.clock.clearTimeout(t);
      this.delayed.delete(key);
    }
    if (this.processing.has(key)) {
      this.dirty.add(key);
      return;
    }
    if (this.queued.has(key)) return;
    this.queued.add(key);
    this.queue.push(key);
    this.pump();
  }

  /** Queues the key after delayMs unless it is added sooner. */
  addAfter(key: string, delayMs: number): void {
    if (this.stopped || this.delayed.has(key) || this.queued.has(key)) return;
    const t = this.clock.setTimeout(() => {
      this.delayed.delete(key);
      this.add(key);
    }, delayMs);
    this.delayed.set(key, t);
  }

  /** Forgets the key's failure history (call after it succeeds or when the object is gone). */
  forget(key: string): void {
    this.failures.delete(key);
  }

  retries(key: string): number {
    return this.failures.get(key) ?? 0;
  }

  stop(): void {
    this.stopped = true;
    for (const t of this.delayed.values()) this.clock.clearTimeout(t);
    this.delayed.clear();
    this.queue.length = 0;
    this.queued.clear();
  }

  /** Resolves when nothing is queued or processing (delayed retries do not count). */
  async idle(): Promise<void> {
    if (this.active === 0 && this.queue.length === 0) return;
    await new Promise<void>((r) => this.idleWaiters.push(r));
  }

  private backoff(key: string): number {
    const n = (this.failures.get(key) ?? 0) + 1;
    this.failures.set(key, n);
    const base = this.opts.baseDelayMs ?? 50;
    const max = this.opts.maxDelayMs ?? 30_000;
    return Math.min(max, base * 2 ** Math.min(n - 1, 20));
  }

  private pump(): void {
    while (!this.stopped && this.active < this.opts.workers && this.queue.length > 0) {
      const key = this.queue.shift() as string;
      this.queued.delete(key);
      this.processing.add(key);
      this.active++;
      void this.run(key);
    }
    if (this.active === 0 && this.queue.length === 0) {
      const waiters = this.idleWaiters;
      this.idleWaiters = [];
      for (const w of waiters) w();
    }
  }

  private async run(key: string): Promise<void> {
    let failed = false;
    try {
      await this.handler(key);
    } catch (err) {
      failed = true;
      this.opts.onError?.(key, err, this.failures.get(key) ?? 0);
    }
    this.processing.delete(key);
    this.active--;
    if (failed) {
      const delay = this.backoff(key);
      if (this.dirty.delete(key)) this.add(key);
      else this.addAfter(key, delay);
    } else if (this.dirty.delete(key)) {
      this.add(key);
    }
    this.pump();
  }
}
