// SPDY/3.1 frame codec: round trips of every frame type through split delivery, and bounded fuzzing
// with random, truncated, bit-flipped and oversized input (only SpdyProtocolError may escape).
import test from 'ava';
import { randomBytes } from 'node:crypto';
import {
  FrameDecoder,
  HeaderCompressor,
  HeaderDecompressor,
  SpdyProtocolError,
  encodeFrame,
  encodeHeaderBlock,
  decodeHeaderBlock,
  type Frame,
  type Headers,
} from '../../../../agent/kubelet-api/spdy/frames.js';

let seed = 0x2545f491;
function rnd(n: number): number {
  seed ^= seed << 13;
  seed ^= seed >>> 17;
  seed ^= seed << 5;
  return (seed >>> 0) % n;
}

function randomHeaders(): Headers {
  const h: Headers = new Map();
  const n = rnd(6);
  for (let i = 0; i < n; i++) h.set(`h${i}-${rnd(1000)}`, [`v${rnd(1e6)}`, ...(rnd(3) === 0 ? ['second'] : [])]);
  h.set('streamtype', [['data', 'error', 'stdin', 'stdout'][rnd(4)]]);
  return h;
}

function randomFrame(): Frame {
  const id = 1 + 2 * rnd(1000);
  switch (rnd(9)) {
    case 0:
      return { type: 'data', streamId: id, fin: rnd(2) === 1, data: randomBytes(rnd(5000)) };
    case 1:
      return { type: 'syn_stream', streamId: id, associatedId: 0, priority: rnd(8), fin: rnd(2) === 1, unidirectional: rnd(2) === 1, headers: randomHeaders() };
    case 2:
      return { type: 'syn_reply', streamId: id, fin: rnd(2) === 1, headers: randomHeaders() };
    case 3:
      return { type: 'headers', streamId: id, fin: rnd(2) === 1, headers: randomHeaders() };
    case 4:
      return { type: 'rst_stream', streamId: id, status: 1 + rnd(11) };
    case 5:
      return { type: 'settings', settings: Array.from({ length: rnd(4) }, () => ({ id: 1 + rnd(8), flags: rnd(3), value: rnd(1 << 30) })) };
    case 6:
      return { type: 'ping', id: rnd(1 << 30) };
    case 7:
      return { type: 'goaway', lastGoodStreamId: id, status: rnd(3) };
    default:
      return { type: 'window_update', streamId: id, delta: 1 + rnd(1 << 30) };
  }
}

test('every frame type survives encoding and decoding across random chunk splits', (t) => {
  const c = new HeaderCompressor();
  const d = new FrameDecoder(new HeaderDecompressor());
  const frames = Array.from({ length: 400 }, randomFrame);
  const wire = Buffer.concat(frames.map((f) => encodeFrame(f, c)));
  const got: Frame[] = [];
  for (let off = 0; off < wire.length; ) {
    const n = 1 + rnd(3000);
    d.push(wire.subarray(off, off + n));
    off += n;
    for (let f = d.next(); f; f = d.next()) got.push(f);
  }
  t.is(got.length, frames.length);
  t.deepEqual(got, frames);
  t.is(d.buffered, 0);
});

test('a frame truncated anywhere yields nothing until it is complete', (t) => {
  const c = new HeaderCompressor();
  for (let i = 0; i < 30; i++) {
    const wire = encodeFrame(randomFrame(), c);
    const cut = rnd(wire.length);
    const d = new FrameDecoder(new HeaderDecompressor());
    // A fresh decompressor cannot continue the compressor's context, so decode the prefix only.
    d.push(wire.subarray(0, Math.min(cut, 7)));
    t.is(d.next(), undefined);
  }
  const c2 = new HeaderCompressor();
  const d2 = new FrameDecoder(new HeaderDecompressor());
  const wire = encodeFrame({ type: 'syn_stream', streamId: 1, associatedId: 0, priority: 0, fin: false, unidirectional: false, headers: randomHeaders() }, c2);
  for (let i = 0; i < wire.length - 1; i++) {
    d2.push(wire.subarray(i, i + 1));
    t.is(d2.next(), undefined);
  }
  d2.push(wire.subarray(wire.length - 1));
  t.is(d2.next()?.type, 'syn_stream');
});

function drain(d: FrameDecoder): 'ok' | 'protocol-error' {
  try {
    for (let i = 0; i < 10_000 && d.next(); i++);
    return 'ok';
  } catch (e) {
    if (e instanceof SpdyProtocolError) return 'protocol-error';
    throw e;
  }
}

test('fuzz: random bytes only ever produce frames or a SpdyProtocolError', (t) => {
  let errors = 0;
  for (let i = 0; i < 3000; i++) {
    const d = new FrameDecoder(new HeaderDecompressor(), 64 * 1024);
    const junk = randomBytes(1 + rnd(600));
    // Half the time make it look like a SPDY/3 control frame with a plausible length.
    if (rnd(2) === 0 && junk.length >= 8) {
      junk.writeUInt16BE(0x8003, 0);
      junk.writeUInt16BE(1 + rnd(10), 2);
      junk.writeUInt32BE(((rnd(256) << 24) | rnd(junk.length)) >>> 0, 4);
    }
    d.push(junk);
    if (drain(d) === 'protocol-error') errors++;
  }
  t.true(errors > 100, `only ${errors} of 3000 random inputs were rejected`);
});

test('fuzz: bit-flipped valid streams only ever produce frames or a SpdyProtocolError', (t) => {
  let errors = 0;
  for (let i = 0; i < 500; i++) {
    const c = new HeaderCompressor();
    const wire = Buffer.concat(Array.from({ length: 1 + rnd(5) }, () => encodeFrame(randomFrame(), c)));
    for (let k = 0; k < 1 + rnd(4); k++) wire[rnd(wire.length)] ^= 1 << rnd(8);
    const d = new FrameDecoder(new HeaderDecompressor(), 64 * 1024);
    d.push(wire);
    if (drain(d) === 'protocol-error') errors++;
  }
  t.true(errors > 0);
});

test('oversized frames, bad versions, short control frames and stream id 0 are rejected', (t) => {
  const d = () => new FrameDecoder(new HeaderDecompressor(), 1024);
  const huge = Buffer.alloc(8);
  huge.writeUInt32BE(1, 0);
  huge.writeUInt32BE(2048, 4);
  const a = d();
  a.push(huge);
  t.throws(() => a.next(), { instanceOf: SpdyProtocolError, message: /exceeds limit/ });

  const v2 = Buffer.from([0x80, 0x02, 0x00, 0x06, 0, 0, 0, 4, 0, 0, 0, 1]);
  const b = d();
  b.push(v2);
  t.throws(() => b.next(), { instanceOf: SpdyProtocolError, message: /version 2/ });

  const shortRst = Buffer.from([0x80, 0x03, 0x00, 0x03, 0, 0, 0, 4, 0, 0, 0, 1]);
  const c = d();
  c.push(shortRst);
  t.throws(() => c.next(), { instanceOf: SpdyProtocolError, message: /too short/ });

  const comp = new HeaderCompressor();
  const syn0 = encodeFrame({ type: 'syn_stream', streamId: 0, associatedId: 0, priority: 0, fin: false, unidirectional: false, headers: new Map() }, comp);
  const e = d();
  e.push(syn0);
  t.throws(() => e.next(), { instanceOf: SpdyProtocolError, message: /stream id 0/ });

  const settings = Buffer.from([0x80, 0x03, 0x00, 0x04, 0, 0, 0, 4, 0xff, 0xff, 0xff, 0xff]);
  const f = d();
  f.push(settings);
  t.throws(() => f.next(), { instanceOf: SpdyProtocolError, message: /SETTINGS/ });
});

test('header blocks: multi-values round trip; lying counts and lengths are rejected; garbage breaks the context', (t) => {
  const h: Headers = new Map([['x-stream-protocol-version', ['v4.channel.k8s.io', 'v3.channel.k8s.io']], ['port', ['8080']]]);
  t.deepEqual(decodeHeaderBlock(encodeHeaderBlock(h), 1), h);
  const lying = Buffer.from([0, 0, 0, 200, 0, 0, 0, 1, 0x61]);
  t.throws(() => decodeHeaderBlock(lying, 1), { instanceOf: SpdyProtocolError });
  const longName = Buffer.from([0, 0, 0, 1, 0x7f, 0xff, 0xff, 0xff, 0x61]);
  t.throws(() => decodeHeaderBlock(longName, 1), { instanceOf: SpdyProtocolError });
  const dec = new HeaderDecompressor();
  t.throws(() => dec.decompress(randomBytes(64), 3), { instanceOf: SpdyProtocolError });
  t.throws(() => dec.decompress(Buffer.from([1]), 5), { instanceOf: SpdyProtocolError, message: /broken/ });
});

test('a compressed header bomb is cut off at the header block limit', (t) => {
  const c = new HeaderCompressor();
  const bomb: Headers = new Map([['x', ['a'.repeat(300 * 1024)]]]);
  const frame = encodeFrame({ type: 'headers', streamId: 1, fin: false, headers: bomb }, c);
  t.true(frame.length < 8 * 1024, 'compresses small');
  const d = new FrameDecoder(new HeaderDecompressor());
  d.push(frame);
  t.throws(() => d.next(), { instanceOf: SpdyProtocolError });
});

/** Bytes a decoder copies (Buffer.concat anywhere, plus its own assembly copies) while a frame trickles in one byte at a time. */
function trickleCost(t: { is(a: unknown, b: unknown): void }, payload: number): number {
  const frame = encodeFrame({ type: 'data', streamId: 1, fin: false, data: Buffer.alloc(payload, 7) }, new HeaderCompressor());
  const d = new FrameDecoder(new HeaderDecompressor());
  // eslint-disable-next-line @typescript-eslint/unbound-method -- kept to be put back; Buffer.concat does not use `this`
  const concat = Buffer.concat;
  let concatenated = 0;
  Buffer.concat = ((list: readonly Uint8Array[], total?: number) => {
    const r = concat(list, total);
    concatenated += r.length;
    return r;
  });
  let got: Frame | undefined;
  try {
    for (let i = 0; i < frame.length; i++) {
      d.push(frame.subarray(i, i + 1));
      got = d.next() ?? got;
    }
  } finally {
    Buffer.concat = concat;
  }
  t.is(got?.type === 'data' && got.data.length, payload);
  return concatenated + ((d as unknown as { copiedBytes?: number }).copiedBytes ?? 0);
}

test('a frame trickled in one byte at a time is assembled once: bytes copied grow linearly with its size', (t) => {
  // Was a concatenation of everything buffered on every push: n^2/2 bytes copied (2 GiB for 64 KiB, ~1 min of CPU for 1 MiB).
  const small = trickleCost(t, 32 * 1024);
  const large = trickleCost(t, 64 * 1024);
  t.true(small <= 2 * (32 * 1024 + 8), `copied ${small} bytes for a 32 KiB frame`);
  t.true(large <= 2 * small + 64, `copied ${large} bytes for 64 KiB after ${small} for 32 KiB`);
});

test('frames in many small chunks, and many frames in one chunk, decode in order with no copy beyond the split ones', (t) => {
  const c = new HeaderCompressor();
  const frames: Frame[] = Array.from({ length: 200 }, (_, i) => ({ type: 'data', streamId: 1 + 2 * (i % 5), fin: false, data: Buffer.alloc(1 + ((i * 97) % 3000), i) }));
  const wire = Buffer.concat(frames.map((f) => encodeFrame(f, c)));
  const d = new FrameDecoder(new HeaderDecompressor());
  const out: Frame[] = [];
  for (let off = 0; off < wire.length; ) {
    const n = 1 + rnd(700);
    d.push(wire.subarray(off, off + n));
    off += n;
    for (let f = d.next(); f; f = d.next()) out.push(f);
  }
  t.deepEqual(out, frames);
  t.is(d.buffered, 0);
  t.true(d.copiedBytes <= wire.length, `copied ${d.copiedBytes} of ${wire.length}`);
});
