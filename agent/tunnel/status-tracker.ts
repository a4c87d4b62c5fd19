// Applies status-watch events idempotently: keeps the resume cursor (epoch, seq) and the last applied
// status_version per pod, so re-delivered or reordered states are dropped, a snapshot replaces the
// known set (pods absent from it are reported gone), and nothing is applied twice. Pure (no I/O).
import type { StatusEvent__Output } from '../../proto/gen/ecigw/tunnel/v1/StatusEvent.js';
import type { PodState__Output } from '../../proto/gen/ecigw/tunnel/v1/PodState.js';

export type PodState = PodState__Output;

interface Known {
  version: number;
  gone: boolean;
  namespace: string;
  name: string;
  providerId: string;
}

export interface Cursor {
  epoch: string;
  seq: number;
}

export class StatusTracker {
  cursor: Cursor = { epoch: '', seq: 0 };
  private readonly known = new Map<string, Known>();
  private snapshot: Set<string> | null = null;
  private tombstones = 0;

  /** Most tombstones (versions of gone pods) kept to reject late re-deliveries. */
  constructor(private readonly maxTombstones = 10_000) {}

  /** Feeds one event; returns the pod states that are new and must be applied, in order. */
  apply(ev: StatusEvent__Output): PodState[] {
    const out: PodState[] = [];
    switch (ev.event) {
      case 'snapshotBegin':
        this.snapshot = new Set();
        break;
      case 'pod':
        if (ev.pod) {
          this.snapshot?.add(ev.pod.uid);
          if (this.accept(ev.pod)) out.push(ev.pod);
        }
        break;
      case 'snapshotEnd':
        if (this.snapshot) {
          for (const [uid, k] of this.known) {
            if (!k.gone && !this.snapshot.has(uid)) {
              const gone: PodState = { uid, namespace: k.namespace, name: k.name, generation: 0, providerId: k.providerId, statusVersion: k.version, statusJson: Buffer.alloc(0), events: [], gone: true };
              this.markGone(uid, k);
              out.push(gone);
            }
          }
        }
        this.snapshot = null;
        break;
      case 'bookmark':
      default:
        break;
    }
    // Inside a snapshot the cursor only moves once the snapshot is complete.
    if (this.snapshot === null) this.cursor = { epoch: ev.epoch, seq: ev.seq };
    return out;
  }

  /** Last applied status version of a pod (undefined when never seen). */
  versionOf(uid: string): number | undefined {
    return this.known.get(uid)?.version;
  }

  private accept(p: PodState): boolean {
    const k = this.known.get(p.uid);
    if (k && (p.statusVersion < k.version || (p.statusVersion === k.version && (k.gone || !p.gone)))) return false;
    if (k && k.gone && !p.gone && p.statusVersion <= k.version) return false;
    const entry: Known = { version: p.statusVersion, gone: p.gone, namespace: p.namespace, name: p.name, providerId: p.providerId };
    if (p.gone) this.markGone(p.uid, entry);
    else {
      if (k?.gone) this.tombstones--;
      this.known.set(p.uid, entry);
    }
    return true;
  }

  private markGone(uid: string, k: Known): void {
    const prev = this.known.get(uid);
    if (!prev?.gone) this.tombstones++;
    this.known.delete(uid);
    this.known.set(uid, { ...k, gone: true });
    while (this.tombstones > this.maxTombstones) {
      for (const [u, e] of this.known) {
        if (e.gone) {
          this.known.delete(u);
          this.tombstones--;
          break;
        }
      }
    }
  }
}
