// The caps of one tenant (`tenants.<id>.quotas`: pods, vCPU, memory, spend; whole tenant and per cluster, caps.ts)
// across all its clusters: which pods hold a slot (a container group that is not finished, or a create in
// flight) and their size, and whether one more may be created. Counts come from ECI's listing of the tenant's
// groups (on first use, and again before refusing), kept current by what the scopes observe and by this
// relay's own creates, so a restarted relay counts right and concurrent applies cannot overshoot: a slot is
// taken synchronously before CreateContainerGroup is sent.
import type { TenantQuotas } from '../../pod-provider/provider.js';
import { breachedCap, type CapState, type GroupUsage } from './caps.js';

interface QuotaOptions {
  /** A refusal re-lists the tenant's groups first unless the last listing started less than this ago. */
  relistMs: number;
  now?: () => number;
}

type Reservation = { ok: true; release(created: boolean): void } | { ok: false; cap: CapState & { want: number } };

export class TenantQuota {
  /** Pods (uids) whose group exists and is not finished, with its size. */
  private live = new Map<string, GroupUsage>();
  /** Pods whose create is in flight, with the size asked for. */
  private readonly pending = new Map<string, GroupUsage>();
  /** What the scopes observed while a listing ran; applied over its result (it may predate them). */
  private journal?: Map<string, GroupUsage | false>;
  private listing?: Promise<void>;
  private listedAt = -Infinity;
  private readonly now: () => number;

  constructor(
    /** The tenant's live groups in ECI, all clusters: pod uid → size. */
    private readonly listLive: () => Promise<Map<string, GroupUsage>>,
    private readonly opts: QuotaOptions,
  ) {
    this.now = opts.now ?? Date.now;
  }

  /** What holds a slot: live groups plus creates in flight. */
  usages(): GroupUsage[] {
    const out = [...this.live.values()];
    for (const [uid, u] of this.pending) if (!this.live.has(uid)) out.push(u);
    return out;
  }

  /**
   * A scope saw the pod's group live (true) or finished / gone / never created (false). A live group not yet
   * known counts as `guess` (its size comes with the next listing).
   */
  observe(uid: string, live: boolean, guess?: GroupUsage): void {
    if (live) {
      const u = this.live.get(uid) ?? this.pending.get(uid) ?? guess;
      if (!u) return;
      this.live.set(uid, u);
      this.journal?.set(uid, u);
    } else {
      this.live.delete(uid);
      this.journal?.set(uid, false);
    }
  }

  /** Resolves once ECI's groups were listed at least once. */
  async ready(): Promise<void> {
    if (this.listedAt === -Infinity) await this.relist();
  }

  /**
   * Takes a slot of size `want` for a create of `uid`, or says which cap it would break. A pod already counted
   * takes none. When a cap looks reached the tenant's groups are listed again (at most every relistMs), so pods
   * deleted elsewhere (another relay, the console) free their slots before anyone is refused.
   */
  async reserve(uid: string, want: GroupUsage, caps: TenantQuotas): Promise<Reservation> {
    await this.ready();
    const first = this.take(uid, want, caps);
    if (first.ok) return first;
    if (this.now() - this.listedAt >= this.opts.relistMs) {
      await this.relist();
      return this.take(uid, want, caps);
    }
    return first;
  }

  /** Synchronous check-and-take: nothing can interleave between the count and the slot being held. */
  private take(uid: string, want: GroupUsage, caps: TenantQuotas): Reservation {
    if (this.live.has(uid) || this.pending.has(uid)) return { ok: true, release: () => undefined };
    const cap = breachedCap(caps, this.usages(), want);
    if (cap) return { ok: false, cap };
    this.pending.set(uid, want);
    let released = false;
    return {
      ok: true,
      release: (created: boolean) => {
        if (released) return;
        released = true;
        if (created) this.observe(uid, true, want);
        this.pending.delete(uid);
      },
    };
  }

  /** One listing at a time; callers during it share it. */
  private relist(): Promise<void> {
    if (this.listing) return this.listing;
    const started = this.now();
    const journal = new Map<string, GroupUsage | false>();
    this.journal = journal;
    this.listing = (async () => {
      try {
        const listed = await this.listLive();
        for (const [uid, u] of journal) {
          if (u) listed.set(uid, listed.get(uid) ?? u);
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
