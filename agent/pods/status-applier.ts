// Applies relay status updates with bounded concurrency while keeping each pod's updates in order:
// a job for pod X runs after X's previous job, jobs of different pods run in parallel (at most `limit`
// at once). submit() resolves once the job is admitted (not finished), so the status stream keeps
// its backpressure: when `limit` jobs are in flight, the stream waits.
import { KeyedLane } from '../../common/keyed-lane.js';

export class KeyedApplier {
  private inFlight = 0;
  private readonly lanes = new KeyedLane();
  private readonly waiters: (() => void)[] = [];
  private idleWaiters: (() => void)[] = [];

  constructor(private readonly limit: number) {
    if (!(limit >= 1)) throw new Error('KeyedApplier limit must be ≥ 1');
  }

  get active(): number {
    return this.inFlight;
  }

  async submit(key: string, job: () => Promise<void>): Promise<void> {
    while (this.inFlight >= this.limit) await new Promise<void>((r) => this.waiters.push(r));
    this.inFlight++;
    void this.lanes
      .run(key, job)
      .catch(() => undefined)
      .then(() => {
        this.inFlight--;
        this.waiters.shift()?.();
        if (this.inFlight === 0) {
          const w = this.idleWaiters;
          this.idleWaiters = [];
          for (const f of w) f();
        }
      });
  }

  /** Resolves when no job is in flight. */
  async idle(): Promise<void> {
    if (this.inFlight === 0) return;
    await new Promise<void>((r) => this.idleWaiters.push(r));
  }
}
