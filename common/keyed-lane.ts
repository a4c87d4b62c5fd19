// One serial lane per key: jobs for the same key run one after another in submission order, jobs for
// different keys run in parallel. A failed job does not stop its lane; its caller gets the rejection.
// A key's entry is dropped once its last job has settled, so the map holds only keys with work.
export class KeyedLane {
  private readonly tails = new Map<string, Promise<unknown>>();

  /** Runs `job` after every earlier job of `key` has settled; resolves or rejects with `job`'s outcome. */
  run<T>(key: string, job: () => Promise<T>): Promise<T> {
    const prev = this.tails.get(key) ?? Promise.resolve();
    const result = prev.then(job);
    const tail = result.catch(() => undefined);
    this.tails.set(key, tail);
    void tail.then(() => {
      if (this.tails.get(key) === tail) this.tails.delete(key);
    });
    return result;
  }

  /** Resolves once every job of `key` submitted so far has settled (and the key's entry is gone). */
  async idle(key: string): Promise<void> {
    await this.tails.get(key);
  }

  /** Keys with a job queued or running. */
  get size(): number {
    return this.tails.size;
  }
}
