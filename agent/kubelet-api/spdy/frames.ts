// SPDY/3.1 frame codec: pure encoding/decoding of the frames Kubernetes' spdystream uses (SYN_STREAM,
// SYN_REPLY, RST_STREAM, SETTINGS, PING, GOAWAY, HEADERS, WINDOW_UPDATE, DATA) plus the zlib header
// block contexts (one per direction, SPDY dictionary, sync flush per frame). No I/O here.
import { Deflate, Inflate, Z_SYNC_FLUSH } from 'pako';
import { SPDY3_DICTIONARY } from './dictionary.js';

const SPDY_VERSION = 3;
const FLAG_FIN = 0x01;
const FLAG_UNIDIRECTIONAL = 0x02;
/** Largest frame payload we accept (spdystream writes at most 16 MiB-1; we stay well below for memory). */
export const MAX_FRAME_PAYLOAD = 1 << 20;
/** Largest decompressed header block we accept. */
const MAX_HEADER_BLOCK = 256 * 1024;

enum FrameType {
  SynStream = 1,
  SynReply = 2,
  RstStream = 3,
  Settings = 4,
  Ping = 6,
  GoAway = 7,
  Headers = 8,
  WindowUpdate = 9,
}

export enum RstStatus {
  ProtocolError = 1,
  InvalidStream = 2,
  RefusedStream = 3,
  UnsupportedVersion = 4,
  Cancel = 5,
  InternalError = 6,
  FlowControlError = 7,
  StreamInUse = 8,
  StreamAlreadyClosed = 9,
  FrameTooLarge = 11,
}

export const SETTINGS_INITIAL_WINDOW_SIZE = 7;

export type Headers = Map<string, string[]>;

export type Frame =
  | { type: 'data'; streamId: number; fin: boolean; data: Buffer }
  | { type: 'syn_stream'; streamId: number; associatedId: number; priority: number; fin: boolean; unidirectional: boolean; headers: Headers }
  | { type: 'syn_reply'; streamId: number; fin: boolean; headers: Headers }
  | { type: 'headers'; streamId: number; fin: boolean; headers: Headers }
  | { type: 'rst_stream'; streamId: number; status: number }
  | { type: 'settings'; settings: { id: number; flags: number; value: number }[] }
  | { type: 'ping'; id: number }
  | { type: 'goaway'; lastGoodStreamId: number; status: number }
  | { type: 'window_update'; streamId: number; delta: number }
  | { type: 'unknown'; frameType: number };

export class SpdyProtocolError extends Error {
  constructor(message: string, readonly streamId = 0) {
    super(message);
  }
}

/** Compresses header blocks for one direction of a connection (one zlib stream, sync-flushed per block). */
export class HeaderCompressor {
  private readonly z = new Deflate({ level: 9, dictionary: SPDY3_DICTIONARY });
  private out: Uint8Array[] = [];

  constructor() {
    this.z.onData = (chunk) => this.out.push(chunk);
  }

  compress(headers: Headers): Buffer {
    this.out = [];
    if (!this.z.push(encodeHeaderBlock(headers), Z_SYNC_FLUSH)) throw new Error(`header compression failed: ${this.z.msg}`);
    return Buffer.concat(this.out);
  }
  close(): void {
    this.out = [];
  }
}

/** Decompresses header blocks for one direction of a connection. */
export class HeaderDecompressor {
  private readonly z = new Inflate({ dictionary: SPDY3_DICTIONARY });
  private out: Uint8Array[] = [];
  private outBytes = 0;
  private broken = false;

  constructor() {
    this.z.onData = (chunk) => {
      this.outBytes += chunk.length;
      if (this.outBytes > MAX_HEADER_BLOCK) throw new SpdyProtocolError(`header block exceeds ${MAX_HEADER_BLOCK} bytes`);
      this.out.push(chunk);
    };
  }

  decompress(block: Buffer, streamId: number): Headers {
    if (this.broken) throw new SpdyProtocolError('header compression context is broken', streamId);
    this.out = [];
    this.outBytes = 0;
    if (block.length) {
      let ok = false;
      try {
        ok = this.z.push(block, Z_SYNC_FLUSH);
      } catch (e) {
        this.broken = true;
        throw new SpdyProtocolError(`invalid compressed header block: ${(e as Error).message}`, streamId);
      }
      if (!ok || (this.z.err !== 0 && this.z.err !== 1)) {
        this.broken = true;
        throw new SpdyProtocolError(`invalid compressed header block: ${this.z.msg || this.z.err}`, streamId);
      }
    }
    return decodeHeaderBlock(Buffer.concat(this.out), streamId);
  }
  close(): void {
    this.out = [];
  }
}

export function encodeHeaderBlock(headers: Headers): Buffer {
  const parts: Buffer[] = [];
  const count = Buffer.alloc(4);
  count.writeUInt32BE(headers.size);
  parts.push(count);
  for (const [name, values] of headers) {
    const n = Buffer.from(name.toLowerCase(), 'utf8');
    const v = Buffer.from(values.join('\0'), 'utf8');
    const nl = Buffer.alloc(4);
    nl.writeUInt32BE(n.length);
    const vl = Buffer.alloc(4);
    vl.writeUInt32BE(v.length);
    parts.push(nl, n, vl, v);
  }
  return Buffer.concat(parts);
}

export function decodeHeaderBlock(raw: Buffer, streamId: number): Headers {
  const fail = (why: string): never => {
    throw new SpdyProtocolError(`invalid header block: ${why}`, streamId);
  };
  if (raw.length < 4) fail('truncated count');
  const count = raw.readUInt32BE(0);
  // Each pair needs at least 8 bytes of lengths.
  if (count > (raw.length - 4) / 8) fail('pair count exceeds block');
  const headers: Headers = new Map();
  let off = 4;
  const readString = (): string => {
    if (off + 4 > raw.length) fail('truncated length');
    const len = raw.readUInt32BE(off);
    off += 4;
    if (len > raw.length - off) fail('truncated string');
    const s = raw.toString('utf8', off, off + len);
    off += len;
    return s;
  };
  for (let i = 0; i < count; i++) {
    const name = readString();
    const value = readString();
    if (!name) fail('empty header name');
    const lower = name.toLowerCase();
    const values = headers.get(lower) ?? [];
    values.push(...value.split('\0'));
    headers.set(lower, values);
  }
  return headers;
}

function controlFrame(type: FrameType, flags: number, payload: Buffer): Buffer {
  if (payload.length > 0xffffff) throw new RangeError('control frame too large');
  const head = Buffer.alloc(8);
  head.writeUInt16BE(0x8000 | SPDY_VERSION, 0);
  head.writeUInt16BE(type, 2);
  head.writeUInt32BE((((flags & 0xff) << 24) | payload.length) >>> 0, 4);
  return Buffer.concat([head, payload]);
}

function u31(n: number): Buffer {
  return words(n & 0x7fffffff);
}

/** Big-endian 32-bit words (each taken as unsigned): the fixed payloads of most control frames. */
function words(...values: number[]): Buffer {
  const b = Buffer.alloc(4 * values.length);
  values.forEach((v, i) => b.writeUInt32BE(v >>> 0, 4 * i));
  return b;
}

/** A DATA frame (not FIN) of the concatenated `parts` (`length` bytes in all), built with one copy. */
export function encodeDataFrame(streamId: number, parts: readonly Buffer[], length: number): Buffer {
  if (length > 0xffffff) throw new RangeError('data frame too large');
  const frame = Buffer.allocUnsafe(8 + length);
  frame.writeUInt32BE((streamId & 0x7fffffff) >>> 0, 0);
  frame.writeUInt32BE(length, 4);
  let at = 8;
  for (const p of parts) at += p.copy(frame, at);
  return frame;
}

/** Encodes a frame; header-bearing frames use (and advance) the given compressor. */
export function encodeFrame(f: Frame, compressor: HeaderCompressor): Buffer {
  switch (f.type) {
    case 'data': {
      if (f.data.length > 0xffffff) throw new RangeError('data frame too large');
      return Buffer.concat([words(f.streamId & 0x7fffffff, ((f.fin ? FLAG_FIN : 0) << 24) | f.data.length), f.data]);
    }
    case 'syn_stream': {
      const fixed = Buffer.alloc(10);
      fixed.writeUInt32BE(f.streamId & 0x7fffffff, 0);
      fixed.writeUInt32BE(f.associatedId & 0x7fffffff, 4);
      fixed.writeUInt8((f.priority & 7) << 5, 8);
      const flags = (f.fin ? FLAG_FIN : 0) | (f.unidirectional ? FLAG_UNIDIRECTIONAL : 0);
      return controlFrame(FrameType.SynStream, flags, Buffer.concat([fixed, compressor.compress(f.headers)]));
    }
    case 'syn_reply':
      return controlFrame(FrameType.SynReply, f.fin ? FLAG_FIN : 0, Buffer.concat([u31(f.streamId), compressor.compress(f.headers)]));
    case 'headers':
      return controlFrame(FrameType.Headers, f.fin ? FLAG_FIN : 0, Buffer.concat([u31(f.streamId), compressor.compress(f.headers)]));
    case 'rst_stream':
      return controlFrame(FrameType.RstStream, 0, words(f.streamId & 0x7fffffff, f.status));
    case 'settings':
      return controlFrame(FrameType.Settings, 0, words(f.settings.length, ...f.settings.flatMap((s) => [((s.flags & 0xff) << 24) | (s.id & 0xffffff), s.value])));
    case 'ping':
      return controlFrame(FrameType.Ping, 0, words(f.id));
    case 'goaway':
      return controlFrame(FrameType.GoAway, 0, words(f.lastGoodStreamId & 0x7fffffff, f.status));
    case 'window_update':
      return controlFrame(FrameType.WindowUpdate, 0, words(f.streamId & 0x7fffffff, f.delta & 0x7fffffff));
    case 'unknown':
      throw new Error('cannot encode an unknown frame');
  }
}

/**
 * Incremental frame decoder: push bytes, pull whole frames. Throws SpdyProtocolError on malformed
 * input (the connection must then be torn down: the header context may be out of sync).
 * Chunks are kept in a list and a frame is assembled once, when all of it is there, so a frame that
 * arrives in n pieces costs O(frame + n) (concatenating on every push cost O(frame * n)).
 */
export class FrameDecoder {
  private chunks: Buffer[] = [];
  /** Index of the first live chunk (consumed ones are dropped in batches) and offset into it. */
  private first = 0;
  private offset = 0;
  private total = 0;
  /** Bytes copied to assemble frames that arrived in pieces: at most the bytes pushed (linear). */
  copiedBytes = 0;

  constructor(private readonly decompressor: HeaderDecompressor, private readonly maxPayload = MAX_FRAME_PAYLOAD) {}

  push(chunk: Buffer): void {
    if (chunk.length === 0) return;
    this.chunks.push(chunk);
    this.total += chunk.length;
  }

  get buffered(): number {
    return this.total;
  }

  /** The first n buffered bytes (n <= buffered), without consuming them; copies only when split. */
  private peek(n: number): Buffer {
    const head = this.chunks[this.first];
    if (head.length - this.offset >= n) return head.subarray(this.offset, this.offset + n);
    const out = Buffer.allocUnsafe(n);
    let filled = 0;
    for (let i = this.first, off = this.offset; filled < n; i++, off = 0) {
      const c = this.chunks[i];
      const k = Math.min(n - filled, c.length - off);
      c.copy(out, filled, off, off + k);
      filled += k;
    }
    return out;
  }

  /** Consumes n bytes (n <= buffered): a view when they lie in one chunk, else one copy. */
  private take(n: number): Buffer {
    const head = this.chunks[this.first];
    let out: Buffer;
    if (head.length - this.offset >= n) {
      out = head.subarray(this.offset, this.offset + n);
      this.offset += n;
    } else {
      out = Buffer.allocUnsafe(n);
      this.copiedBytes += n;
      let filled = 0;
      while (filled < n) {
        const c = this.chunks[this.first];
        const k = Math.min(n - filled, c.length - this.offset);
        c.copy(out, filled, this.offset, this.offset + k);
        filled += k;
        this.offset += k;
        if (this.offset === c.length && filled < n) this.dropHead();
      }
    }
    if (this.offset === this.chunks[this.first].length) this.dropHead();
    this.total -= n;
    return out;
  }

  private dropHead(): void {
    this.first++;
    this.offset = 0;
    if (this.first === this.chunks.length) {
      this.chunks = [];
      this.first = 0;
    } else if (this.first >= 1024 && this.first * 2 >= this.chunks.length) {
      this.chunks = this.chunks.slice(this.first);
      this.first = 0;
    }
  }

  /** Next complete frame, or undefined when more bytes are needed. */
  next(): Frame | undefined {
    if (this.total < 8) return undefined;
    const h = this.peek(8);
    const len = h.readUInt32BE(4) & 0xffffff;
    const flags = h[4];
    if (len > this.maxPayload) throw new SpdyProtocolError(`frame payload of ${len} bytes exceeds limit ${this.maxPayload}`);
    if (this.total < 8 + len) return undefined;
    const b = this.take(8 + len);
    const p = b.subarray(8);
    if ((b[0] & 0x80) === 0) {
      const streamId = b.readUInt32BE(0) & 0x7fffffff;
      return { type: 'data', streamId, fin: (flags & FLAG_FIN) !== 0, data: p };
    }
    const version = b.readUInt16BE(0) & 0x7fff;
    if (version !== SPDY_VERSION) throw new SpdyProtocolError(`unsupported SPDY version ${version}`);
    const type = b.readUInt16BE(2) as FrameType; // any 16-bit value: unknown types take the default branch
    const need = (n: number) => {
      if (len < n) throw new SpdyProtocolError(`control frame type ${type} too short (${len} < ${n})`);
    };
    const fin = (flags & FLAG_FIN) !== 0;
    switch (type) {
      case FrameType.SynStream: {
        need(10);
        const streamId = p.readUInt32BE(0) & 0x7fffffff;
        if (streamId === 0) throw new SpdyProtocolError('SYN_STREAM with stream id 0');
        return {
          type: 'syn_stream',
          streamId,
          associatedId: p.readUInt32BE(4) & 0x7fffffff,
          priority: p[8] >> 5,
          fin,
          unidirectional: (flags & FLAG_UNIDIRECTIONAL) !== 0,
          headers: this.decompressor.decompress(p.subarray(10), streamId),
        };
      }
      case FrameType.SynReply:
      case FrameType.Headers: {
        need(4);
        const streamId = p.readUInt32BE(0) & 0x7fffffff;
        const headers = this.decompressor.decompress(p.subarray(4), streamId);
        return { type: type === FrameType.SynReply ? 'syn_reply' : 'headers', streamId, fin, headers };
      }
      case FrameType.RstStream:
        need(8);
        return { type: 'rst_stream', streamId: p.readUInt32BE(0) & 0x7fffffff, status: p.readUInt32BE(4) };
      case FrameType.Settings: {
        need(4);
        const n = p.readUInt32BE(0);
        if (n > (len - 4) / 8) throw new SpdyProtocolError('SETTINGS entry count exceeds frame');
        const settings = [];
        for (let i = 0; i < n; i++) {
          const idf = p.readUInt32BE(4 + i * 8);
          settings.push({ flags: idf >>> 24, id: idf & 0xffffff, value: p.readUInt32BE(8 + i * 8) });
        }
        return { type: 'settings', settings };
      }
      case FrameType.Ping:
        need(4);
        return { type: 'ping', id: p.readUInt32BE(0) };
      case FrameType.GoAway:
        need(4);
        return { type: 'goaway', lastGoodStreamId: p.readUInt32BE(0) & 0x7fffffff, status: len >= 8 ? p.readUInt32BE(4) : 0 };
      case FrameType.WindowUpdate:
        need(8);
        return { type: 'window_update', streamId: p.readUInt32BE(0) & 0x7fffffff, delta: p.readUInt32BE(4) & 0x7fffffff };
      default:
        return { type: 'unknown', frameType: type };
    }
  }
}
