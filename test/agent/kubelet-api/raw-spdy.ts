// Test helper: a raw SPDY/3.1 client that can misbehave. It performs the HTTP/1.1 upgrade over TLS (to the
// API server or straight to a kubelet API), or sits on any byte stream, then writes whatever frames a test encodes with frames.ts and
// records every frame the other side sends. No session logic: it never answers, resets or flow-controls.
import { connect } from 'node:tls';
import type { Duplex } from 'node:stream';
import { isIP } from 'node:net';
import { FrameDecoder, HeaderCompressor, HeaderDecompressor, encodeFrame, type Frame, type Headers } from '../../../agent/kubelet-api/spdy/frames.js';

export interface UpgradeOptions {
  /** https://host:port of the server. */
  url: string;
  /** Request path with query. */
  path: string;
  ca?: string;
  cert?: string;
  key?: string;
  /** X-Stream-Protocol-Version values offered. */
  protocols?: string[];
  method?: string;
}

export interface UpgradeRefused {
  status: number;
  headers: Record<string, string>;
  body: string;
}

export class RawSpdyClient {
  readonly frames: Frame[] = [];
  readonly closed: Promise<void>;
  private readonly compressor = new HeaderCompressor();
  private readonly decoder = new FrameDecoder(new HeaderDecompressor(), 16 << 20);
  private readonly waiters = new Set<() => void>();
  private decodeError?: Error;
  private ended = false;

  private constructor(readonly socket: Duplex, readonly protocol: string, head: Buffer) {
    this.closed = new Promise((resolve) => socket.once('close', () => resolve()));
    socket.on('close', () => {
      this.ended = true;
      this.wake();
    });
    socket.on('error', () => undefined);
    socket.on('data', (b: Buffer) => this.onBytes(b));
    if (head.length) this.onBytes(head);
  }

  /** A raw client on an already connected byte stream (an in-process pair, a loopback socket). */
  static attach(socket: Duplex): RawSpdyClient {
    return new RawSpdyClient(socket, '', Buffer.alloc(0));
  }

  /** Upgrades to SPDY/3.1; resolves with the client, or with the refusal when the answer is not 101. */
  static async upgrade(o: UpgradeOptions): Promise<RawSpdyClient | UpgradeRefused> {
    const u = new URL(o.url);
    const socket = connect({ host: u.hostname, port: Number(u.port), ca: o.ca, cert: o.cert, key: o.key, rejectUnauthorized: !!o.ca, servername: o.ca && !isIP(u.hostname) ? u.hostname : undefined });
    socket.on('error', () => undefined);
    await new Promise<void>((resolve, reject) => {
      socket.once('secureConnect', resolve);
      socket.once('error', reject);
    });
    const protocols = (o.protocols ?? ['v4.channel.k8s.io']).map((p) => `X-Stream-Protocol-Version: ${p}\r\n`).join('');
    socket.write(`${o.method ?? 'POST'} ${o.path} HTTP/1.1\r\nHost: ${u.host}\r\nConnection: Upgrade\r\nUpgrade: SPDY/3.1\r\n${protocols}Content-Length: 0\r\n\r\n`);
    // Bytes as they come, until the response head is complete (then the rest of the body, if refused).
    const chunks: Buffer[] = [];
    let ended = false;
    let wake: (() => void) | undefined;
    const onData = (b: Buffer) => (chunks.push(b), wake?.());
    const onEnd = () => ((ended = true), wake?.());
    socket.on('data', onData);
    socket.on('end', onEnd);
    socket.on('close', onEnd);
    const more = async (): Promise<boolean> => {
      if (!chunks.length && !ended) await new Promise<void>((r) => (wake = r));
      wake = undefined;
      return chunks.length > 0;
    };
    const deadline = setTimeout(() => socket.destroy(new Error('no upgrade response within 60 s')), 60_000);
    let buf = Buffer.alloc(0);
    try {
      for (;;) {
        const end = buf.indexOf('\r\n\r\n');
        if (end >= 0) {
          const [statusLine, ...lines] = buf.subarray(0, end).toString('latin1').split('\r\n');
          const status = Number(statusLine.split(' ')[1]);
          const headers: Record<string, string> = {};
          for (const l of lines) {
            const i = l.indexOf(':');
            if (i > 0) headers[l.slice(0, i).trim().toLowerCase()] = l.slice(i + 1).trim();
          }
          let rest = buf.subarray(end + 4);
          if (status === 101) {
            socket.off('data', onData);
            socket.off('end', onEnd);
            socket.off('close', onEnd);
            socket.pause();
            const client = new RawSpdyClient(socket, headers['x-stream-protocol-version'] ?? '', Buffer.concat([rest, ...chunks]));
            socket.resume();
            return client;
          }
          const length = Number(headers['content-length'] ?? NaN);
          while (Number.isFinite(length) ? rest.length < length : !ended) {
            if (!(await more())) break;
            rest = Buffer.concat([rest, ...chunks.splice(0)]);
          }
          socket.destroy();
          return { status, headers, body: rest.toString() };
        }
        if (!(await more())) throw new Error(`connection closed before an upgrade response: ${buf.toString()}`);
        buf = Buffer.concat([buf, ...chunks.splice(0)]);
      }
    } finally {
      clearTimeout(deadline);
    }
  }

  /** Writes frames in one socket write (so the server reads them together). */
  send(...frames: Frame[]): void {
    this.socket.write(Buffer.concat(frames.map((f) => this.encode(f))));
  }

  /** The wire bytes of a frame (header blocks through this client's compression context). */
  encode(f: Frame): Buffer {
    return encodeFrame(f, this.compressor);
  }

  syn(streamId: number, headers: Record<string, string>, fin = false): Frame {
    const h: Headers = new Map(Object.entries(headers).map(([k, v]) => [k.toLowerCase(), [v]]));
    return { type: 'syn_stream', streamId, associatedId: 0, priority: 0, fin, unidirectional: false, headers: h };
  }

  data(streamId: number, data: string | Buffer, fin = false): Frame {
    return { type: 'data', streamId, fin, data: Buffer.from(data) };
  }

  /** Payload received on a stream so far. */
  received(streamId: number): string {
    return Buffer.concat(this.frames.flatMap((f) => (f.type === 'data' && f.streamId === streamId ? [f.data] : []))).toString();
  }

  /** Resolves with the first frame (already received or coming) that matches; rejects on close or timeout. */
  waitFor(what: string, match: (f: Frame) => boolean, timeoutMs = 60_000): Promise<Frame> {
    return new Promise((resolve, reject) => {
      const check = () => {
        const f = this.frames.find(match);
        if (f) return done(() => resolve(f));
        const decodeError = this.decodeError;
        if (decodeError) return done(() => reject(decodeError));
        if (this.ended) return done(() => reject(new Error(`connection closed before ${what}; frames: ${this.describe()}`)));
      };
      const timer = setTimeout(() => done(() => reject(new Error(`no ${what} within ${timeoutMs} ms; frames: ${this.describe()}`))), timeoutMs);
      const done = (f: () => void) => {
        clearTimeout(timer);
        this.waiters.delete(check);
        f();
      };
      this.waiters.add(check);
      check();
    });
  }

  describe(): string {
    return this.frames
      .map((f) => (f.type === 'data' ? `data(${f.streamId}${f.fin ? ',fin' : ''}:${f.data.length})` : f.type === 'rst_stream' ? `rst(${f.streamId},${f.status})` : f.type === 'goaway' ? `goaway(${f.status})` : `${f.type}${'streamId' in f ? `(${f.streamId})` : ''}`))
      .join(' ');
  }

  close(): void {
    this.socket.destroy();
  }

  private onBytes(b: Buffer): void {
    if (this.decodeError) return;
    this.decoder.push(b);
    try {
      for (let f = this.decoder.next(); f; f = this.decoder.next()) this.frames.push(f);
    } catch (e) {
      this.decodeError = e as Error;
    }
    this.wake();
  }

  private wake(): void {
    for (const w of [...this.waiters]) w();
  }
}
