// The pod quota of one tenant (`tenants.<id>.quotas.maxPods`) across all its clusters: which pods hold a slot
// (a container group that is not finished, or a create in flight) and whether one more may be created. Counts
// come from ECI's listing of the tenant's groups (on first use, and again before refusing), kept current by
// what the scopes observe and by this relay's own creates, so a restarted relay counts right and concurrent
// applies cannot overshoot: a slot is taken synchronously before CreateContainerGroup is sent.

interface QuotaOptions {
  /** A refusal re-lists the tenant's groups first unless the last listing started less than this ago. */
  relistMs: number;
  now?: () => number;
}

type Reservation = { ok: true; release(created: boolean): void } | { ok: false; used: number };

export class TenantQuota {
  /** Pods (uids) whose group exists and is not finished. */
  private live = new Set<string>();
  /** Pods whose create is in flight. */
  private readonly pending = new Set<string>();
  /** What the scopes observed while a listing ran; applied over its result (it may predate them). */
  private journal?: Map<string, boolean>;
  private listing?: Promise<void>;
  private listedAt = -Infinity;
  private readonly now: () => number;

  constructor(
    /** Uids of the tenant's live groups in ECI, all clusters. */
    private readonly listLive: () => Promise<Set<string>>,
    private readonly opts: QuotaOptions,
  ) {
    this.now = opts.now ?? Date.now;
  }

  /** Slots in use: live groups plus creates in flight. */
  get used(): number {
    let n = this.live.size;
    for (const uid of this.pending) if (!this.live.has(uid)) n++;
    return n;
  }

  /** A scope saw the pod's group live (true) or finished / gone / never created (false). */
  observe(uid: string, live: boolean): void {
    if (live) this.live.add(uid);
    else this.live.delete(uid);
    this.journal?.set(uid, live);
  }

  /**
   * Takes a slot for a create of `uid`, or says how many are used. A pod already counted takes none. When the
   * quota looks full the tenant's groups are listed again (at most every relistMs), so pods deleted elsewhere
   * (another relay, the console) free their slots before anyone is refused.
   */
  async reserve(uid: string, maxPods: number): Promise<Reservation> {
    if (this.listedAt === -Infinity) await this.relist();
    const first = this.take(uid, maxPods);
    if (first) return first;
    if (this.now() - this.listedAt >= this.opts.relistMs) {
      await this.relist();
      const second = this.take(uid, maxPods);
      if (second) return second;
    }
    return { ok: false, used: this.used };
  }

  /** Synchronous check-and-take: nothing can interleave between the count and the slot being held. */
  private take(uid: string, maxPods: number): Reservation | undefined {
    if (this.live.has(uid) || this.pending.has(uid)) return { ok: true, release: () => undefined };
    if (this.used >= maxPods) return undefined;
    this.pending.add(uid);
    let released = false;
    return {
      ok: true,
      release: (created: boolean) => {
        if (released) return;
        released = true;
        this.pending.delete(uid);
        if (created) this.observe(uid, true);
      },
    };
  }

  /** One listing at a time; callers during it share it. */
  private relist(): Promise<void> {
    if (this.listing) return this.listing;
    const started = this.now();
    const journal = new Map<string, boolean>();
    this.journal = journal;
    this.listing = (async () => {
      try {
        const listed = await this.listLive();
        for (const [uid, live] of journal) {
          if (live) listed.add(uid);
          else listed.delete(uid);
        }
        this.live = listed;
        this.listedAt = started;
      } finally {
        this.journal = undefined;
        this.listing = undefined;
      }
    })();
    return this.listing;
  }
}
