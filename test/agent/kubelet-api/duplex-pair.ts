// Test helper: two in-process Duplex ends joined back to back, with backpressure: a write to one end
// completes only when the other end's reader has room. A reader that never reads makes the writer's
// writableLength grow, the way a TCP peer that does not read does, without kernel buffers in between.
import { Duplex } from 'node:stream';

class End extends Duplex {
  other!: End;
  /** The other end's write waiting for this end's reader. */
  waitingWrite?: () => void;

  override _write(chunk: Buffer, _enc: BufferEncoding, cb: (err?: Error | null) => void): void {
    if (this.other.destroyed) return cb(new Error('peer destroyed'));
    if (this.other.push(chunk)) cb();
    else this.other.waitingWrite = () => cb();
  }
  override _final(cb: (err?: Error | null) => void): void {
    if (!this.other.destroyed) this.other.push(null);
    cb();
  }
  override _read(): void {
    const w = this.waitingWrite;
    this.waitingWrite = undefined;
    w?.();
  }
  override _destroy(err: Error | null, cb: (err?: Error | null) => void): void {
    const w = this.waitingWrite;
    this.waitingWrite = undefined;
    w?.();
    if (!this.other.destroyed) this.other.destroy();
    cb(err);
  }
}

export function duplexPair(highWaterMark = 16 * 1024): [Duplex, Duplex] {
  const a = new End({ highWaterMark, allowHalfOpen: false });
  const b = new End({ highWaterMark, allowHalfOpen: false });
  a.other = b;
  b.other = a;
  return [a, b];
}
