// Inbound payload for a stream's reader: small payloads (one SPDY DATA frame or one WebSocket message each)
// are gathered into one buffer before they are pushed, so a peer that sends a flood of 1-byte frames to a
// stream nobody reads costs the stream's high-water mark in bytes, not a Buffer object per byte.

/** Payloads at least this large are pushed as they are; smaller ones are gathered up to this size. */
const COALESCE_BYTES = 16 * 1024;

export class InboundBuffer {
  private pending: Buffer[] = [];
  private pendingBytes = 0;

  /** `push` is the Readable's push; `buffered` its readableLength. */
  constructor(
    private readonly push: (b: Buffer) => boolean,
    private readonly buffered: () => number,
    private readonly highWaterMark: number,
  ) {}

  /** Queues a payload; false when the reader is (or will be, once flushed) at its high-water mark. */
  add(data: Buffer): boolean {
    if (data.length >= COALESCE_BYTES) {
      this.flush();
      return this.push(data) && this.buffered() < this.highWaterMark;
    }
    this.pending.push(data);
    this.pendingBytes += data.length;
    if (this.pendingBytes >= COALESCE_BYTES) return this.flush();
    return this.buffered() + this.pendingBytes < this.highWaterMark;
  }

  /** Pushes what is gathered (one copy); returns whether the reader wants more. */
  flush(): boolean {
    if (this.pendingBytes === 0) return this.buffered() < this.highWaterMark;
    const b = this.pending.length === 1 ? Buffer.from(this.pending[0]) : Buffer.concat(this.pending, this.pendingBytes);
    this.pending = [];
    this.pendingBytes = 0;
    return this.push(b) && this.buffered() < this.highWaterMark;
  }

  clear(): void {
    this.pending = [];
    this.pendingBytes = 0;
  }
}
