// Moves one socket's bytes into another socket without a Buffer per read: the source reads into one buffer of
// its own (the `onread` option of net.connect and tls.connect), and each chunk is written from that buffer
// when the destination takes it at once (a write that completes before it returns: the kernel, or TLS's
// encryption, has copied it). Otherwise the chunk is copied, and the source stops reading until the
// destination's queue is empty. Both ends must be sockets: a Writable that keeps the chunk after its callback
// (a PassThrough does) would see the buffer change under it.
//
// Why: every Buffer a read allocates is external memory to V8, and in a process whose heap holds tens of MB
// (the agent's informers, the relay's caches) each few dozen MB of them start a full mark-compact. Moving a
// GiB that way cost the agent and the relay 15-25% of their CPU in marking alone (perf, bench dataplane).
import type { Socket } from 'node:net';

/** The size of each pump's read buffer (the most one read takes, as Node's own reads). */
const PUMP_BUFFER_BYTES = 64 * 1024;

/** What `onread` takes. */
export interface OnRead {
  buffer: Buffer;
  callback: (bytes: number, buffer: Buffer) => boolean;
}

export class SocketPump {
  private source?: Socket;
  private target?: Socket;
  private waiting = false;
  /** Chunks read before `start` (copies), written first. */
  private early: Buffer[] = [];
  /** Pass as the source's `onread` when it is created. */
  readonly onread: OnRead = { buffer: Buffer.allocUnsafe(PUMP_BUFFER_BYTES), callback: (n, buf) => this.read(buf.subarray(0, n)) };

  /** Where chunks go until `start` (intercept); without it they wait for `start`. */
  private before?: (chunk: Buffer) => boolean;

  /** Chunks read before `start` go to `handler`, each a copy it may keep; false stops reading (start resumes it). */
  intercept(handler: (chunk: Buffer) => boolean): void {
    this.before = handler;
  }

  /**
   * From now on the source's bytes go to `target`, with its end: the source's end ends the target (a
   * half-close). Resumes the source. Call it once.
   */
  start(source: Socket, target: Socket): void {
    this.source = source;
    this.target = target;
    for (const chunk of this.early) target.write(chunk, this.taken);
    this.early = [];
    source.once('end', () => target.end());
    this.waiting = target.writableLength > 0;
    if (!this.waiting) source.resume();
  }

  private readonly taken = (): void => {
    if (!this.waiting || this.target!.writableLength > 0) return;
    this.waiting = false;
    this.source!.resume();
  };

  private read(chunk: Buffer): boolean {
    const target = this.target;
    if (!target) {
      if (this.before) return this.before(Buffer.from(chunk));
      this.early.push(Buffer.from(chunk));
      return true;
    }
    if (target.destroyed) return false;
    if (this.waiting) {
      target.write(Buffer.from(chunk), this.taken);
      return false;
    }
    target.write(chunk, this.taken);
    if (target.writableLength === 0) return true;
    // Queued: the target holds the read buffer until that write completes; no read may reuse it before.
    this.waiting = true;
    return false;
  }
}
