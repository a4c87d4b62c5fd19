// The status poller of one tenant scope: one chain of ticks. A full listing by the scope's tags every pollSlowMs;
// while groups change (or operations are in flight) only those groups, by id in batches, every pollFastMs (a full
// listing when that is cheaper); off while the scope is inactive. A tick schedules its successor itself, at the
// earliest time asked for while it ran, and a poll someone else starts (reconcile, list) is shared with it.
import type { EciGroup } from '../mapping/index.js';
import type { Logger } from '../../../common/log.js';
import { MAX_PAGE } from './groups.js';
import { scopeTags } from './identity.js';
import type { ScopePods, ScopeTarget } from './scope-pods.js';

export interface PollerOptions {
  /** Poll interval while some group is changing or an operation is in flight. */
  pollFastMs: number;
  /** Full-listing interval when every group is stable. */
  pollSlowMs: number;
  /** Most changing groups polled by id per fast tick (bounds reads during bursts). */
  fastPollMaxIds: number;
  /** Clock (ms) of the cadence and of the coalescing of polls (tests move it; default Date.now). Timers stay real. */
  now?: () => number;
}

/** What the poller asks of its scope. */
interface PollerHost {
  /** True while the scope needs polling: a watcher, an operation in flight, a GC candidate or a changing group. */
  active(): boolean;
  /** True while apply/delete calls are in flight (the next tick comes at the fast cadence). */
  operationsInFlight(): boolean;
  /** Orphan GC, after each tick's poll; resolves with the ms until the next orphan is due, or undefined. */
  collectGarbage(): Promise<number | undefined>;
}

export class StatusPoller {
  private timer?: NodeJS.Timeout;
  private timerDue = 0;
  private polling?: Promise<void>;
  /** True while a tick runs: it schedules its successor itself, at the earliest time asked for meanwhile. */
  private ticking = false;
  private wantedDue = Infinity;
  private lastFullPoll = 0;
  private fastCursor = 0;
  private closed = false;
  private readonly now: () => number;

  constructor(
    private readonly target: ScopeTarget,
    private readonly pods: ScopePods,
    private readonly opts: PollerOptions,
    private readonly log: Logger,
    private readonly host: PollerHost,
  ) {
    this.now = opts.now ?? Date.now;
  }

  /** True once a full listing has completed. */
  get listed(): boolean {
    return this.lastFullPoll !== 0;
  }

  /** Stops the chain of ticks for good. */
  close(): void {
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
  }

  /**
   * Schedules a tick in `ms` (earlier wins). During a tick the request is remembered and the tick schedules its
   * successor for the earliest time asked. A poll someone else started (reconcile, list) never stops the timer
   * being set: the chain of ticks must not end while the scope is active, or statuses stop changing.
   */
  wake(ms: number): void {
    if (this.closed) return;
    const due = this.now() + ms;
    if (this.ticking) {
      this.wantedDue = Math.min(this.wantedDue, due);
      return;
    }
    if (this.timer && this.timerDue <= due) return;
    if (this.timer) clearTimeout(this.timer);
    this.timerDue = due;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      void this.tick();
    }, ms);
    this.timer.unref?.();
  }

  /** One poll (coalesced with a running one): full listing when due or cheaper, else only settling groups. */
  async pollNow(forceFull: boolean): Promise<void> {
    while (this.polling) {
      await this.polling;
      if (!forceFull) return;
      forceFull = false;
      if (this.now() - this.lastFullPoll < 50) return;
    }
    const run = (async () => {
      const ids = this.nextSettlingBatch();
      const pages = Math.ceil(this.pods.size / MAX_PAGE) || 1;
      const full = forceFull || this.lastFullPoll === 0 || this.now() - this.lastFullPoll >= this.opts.pollSlowMs || Math.ceil(ids.length / MAX_PAGE) >= pages;
      const tags = scopeTags(this.target.scope);
      const started = this.now();
      const seen = new Set<string>();
      const observePage = (groups: EciGroup[]) => {
        for (const g of groups) {
          const tr = this.pods.observe(g);
          if (tr && tr.groupId === g.containerGroupId) seen.add(tr.uid);
        }
      };
      // A full listing is observed page by page: only one page of SDK models is alive at a time.
      if (full) for await (const page of this.target.api.pagesByTags(tags)) observePage(page);
      else observePage(await this.target.api.listByIds(ids, tags));
      if (full) this.lastFullPoll = started;
      const polledIds = new Set(ids);
      for (const tr of [...this.pods.values()]) {
        if (seen.has(tr.uid)) continue;
        if (!full && !polledIds.has(tr.groupId)) continue;
        this.pods.missing(tr, full);
      }
    })();
    this.polling = run;
    try {
      await run;
    } finally {
      this.polling = undefined;
    }
  }

  private active(): boolean {
    return !this.closed && this.host.active();
  }

  private async tick(): Promise<void> {
    if (!this.active()) return;
    this.ticking = true;
    this.wantedDue = Infinity;
    try {
      await this.pollNow(false).catch((err) => this.log.warn({ err: (err as Error).message }, 'status poll failed'));
      await this.collectGarbage().catch((err) => this.log.warn({ err: (err as Error).message }, 'orphan GC failed'));
    } finally {
      this.ticking = false;
    }
    if (!this.active()) return;
    const settling = this.pods.settlingIds().length > 0 || this.host.operationsInFlight();
    const next = settling ? this.opts.pollFastMs : Math.max(0, this.lastFullPoll + this.opts.pollSlowMs - this.now());
    this.wake(Math.min(next, Math.max(0, this.wantedDue - this.now())));
  }

  private async collectGarbage(): Promise<void> {
    const next = await this.host.collectGarbage();
    if (next !== undefined) this.wake(Math.max(this.opts.pollFastMs, next));
  }

  /**
   * The settling groups to poll this fast tick: at most `fastPollMaxIds`, rotating so that during a large burst
   * every changing group is still seen within a few ticks while the read rate stays bounded.
   */
  private nextSettlingBatch(): string[] {
    const all = this.pods.settlingIds();
    if (all.length <= this.opts.fastPollMaxIds) return all;
    const start = this.fastCursor % all.length;
    const batch = [...all.slice(start), ...all.slice(0, start)].slice(0, this.opts.fastPollMaxIds);
    this.fastCursor = start + batch.length;
    return batch;
  }
}
