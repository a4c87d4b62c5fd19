// A short-lived read-through cache for objects the agent reads once per pod (ConfigMaps, Secrets): reads
// of one object that overlap share one request, and a successful read is reused for `ttlMs`, so a burst of
// pods in one namespace reads its kube-root-ca.crt once instead of once per pod. Failures (NotFound
// included) are never cached: the next read asks the API server again. Like the kubelet's TTL cache, a
// change to the object reaches new pods within `ttlMs`.

export class ReadCache<T> {
  private readonly entries = new Map<string, { at: number; value: Promise<T> }>();

  constructor(
    private readonly ttlMs: number,
    /** Entries kept before expired ones are swept. */
    private readonly sweepAbove = 1024,
    private readonly now: () => number = Date.now,
  ) {}

  get(key: string, load: () => Promise<T>): Promise<T> {
    const t = this.now();
    const hit = this.entries.get(key);
    if (hit && t - hit.at < this.ttlMs) return hit.value;
    const value = load();
    this.entries.set(key, { at: t, value });
    value.catch(() => {
      if (this.entries.get(key)?.value === value) this.entries.delete(key);
    });
    if (this.entries.size > this.sweepAbove) {
      for (const [k, e] of this.entries) if (t - e.at >= this.ttlMs) this.entries.delete(k);
    }
    return value;
  }

  get size(): number {
    return this.entries.size;
  }
}
