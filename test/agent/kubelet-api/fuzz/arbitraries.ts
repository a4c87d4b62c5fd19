// Arbitraries of the kubelet API fuzz: SPDY frames (valid and hostile header values, stream ids, payloads),
// byte mutations of an encoded wire, chunking, and encoding with the echo port placeholder filled in.
import fc from 'fast-check';
import { HeaderCompressor, encodeFrame, type Frame, type Headers } from '../../../../agent/kubelet-api/spdy/frames.js';

/** Header value placeholder replaced by the echo server's port when frames are encoded. */
export const ECHO_PORT = '$ECHO';

const streamId = fc.oneof(fc.constantFrom(1, 3, 5, 7, 9, 11, 13, 2, 4, 0, 0x7fffffff), fc.integer({ min: 0, max: 0x7fffffff }));
const headerName = fc.constantFrom('streamtype', 'port', 'requestid', 'x-junk', 'streamtype ', ':host');
const headerValue = fc.oneof(
  fc.constantFrom('stdin', 'stdout', 'stderr', 'error', 'resize', 'data', ECHO_PORT, '0', '65536', '-1', '08080', '1', '99999999999999999999', ''),
  fc.string({ maxLength: 40 }),
  fc.string({ minLength: 65, maxLength: 300 }),
);
const headers = fc.dictionary(headerName, headerValue, { maxKeys: 4 }).map((d): Headers => new Map(Object.entries(d).map(([k, v]) => [k, [v]])));
const payload = fc.oneof({ weight: 4, arbitrary: fc.uint8Array({ maxLength: 300 }) }, { weight: 1, arbitrary: fc.uint8Array({ minLength: 1000, maxLength: 40_000 }) });

export const frameArb: fc.Arbitrary<Frame> = fc.oneof(
  { weight: 5, arbitrary: fc.record({ type: fc.constant('data' as const), streamId, fin: fc.boolean(), data: payload.map((u) => Buffer.from(u)) }) },
  { weight: 4, arbitrary: fc.record({ type: fc.constant('syn_stream' as const), streamId, associatedId: fc.constantFrom(0, 1), priority: fc.integer({ min: 0, max: 7 }), fin: fc.boolean(), unidirectional: fc.boolean(), headers }) },
  { weight: 1, arbitrary: fc.record({ type: fc.constant('syn_reply' as const), streamId, fin: fc.boolean(), headers }) },
  { weight: 1, arbitrary: fc.record({ type: fc.constant('headers' as const), streamId, fin: fc.boolean(), headers }) },
  { weight: 2, arbitrary: fc.record({ type: fc.constant('rst_stream' as const), streamId, status: fc.integer({ min: 0, max: 20 }) }) },
  { weight: 1, arbitrary: fc.record({ type: fc.constant('settings' as const), settings: fc.array(fc.record({ id: fc.integer({ min: 0, max: 10 }), flags: fc.integer({ min: 0, max: 3 }), value: fc.oneof(fc.nat(), fc.constantFrom(0, 0x7fffffff, 0x80000000, 0xffffffff)) }), { maxLength: 40 }) }) },
  { weight: 2, arbitrary: fc.record({ type: fc.constant('ping' as const), id: fc.oneof(fc.nat(), fc.constant(0xffffffff)) }) },
  { weight: 1, arbitrary: fc.record({ type: fc.constant('goaway' as const), lastGoodStreamId: streamId, status: fc.integer({ min: 0, max: 3 }) }) },
  { weight: 2, arbitrary: fc.record({ type: fc.constant('window_update' as const), streamId, delta: fc.oneof(fc.constantFrom(0, 1, 0x7fffffff), fc.integer({ min: 0, max: 0x7fffffff })) }) },
);

export type Mutation = { kind: 'flip'; at: number; bit: number } | { kind: 'set'; at: number; value: number } | { kind: 'cut'; at: number } | { kind: 'insert'; at: number; bytes: Uint8Array } | { kind: 'drop'; at: number; len: number };

export const mutationArb: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({ kind: fc.constant('flip' as const), at: fc.nat(), bit: fc.integer({ min: 0, max: 7 }) }),
  fc.record({ kind: fc.constant('set' as const), at: fc.nat(), value: fc.integer({ min: 0, max: 255 }) }),
  fc.record({ kind: fc.constant('cut' as const), at: fc.nat() }),
  fc.record({ kind: fc.constant('insert' as const), at: fc.nat(), bytes: fc.uint8Array({ minLength: 1, maxLength: 64 }) }),
  fc.record({ kind: fc.constant('drop' as const), at: fc.nat(), len: fc.integer({ min: 1, max: 64 }) }),
);

export function mutate(wire: Buffer, ms: Mutation[]): Buffer {
  let b = Buffer.from(wire);
  for (const m of ms) {
    if (b.length === 0) break;
    const at = m.at % b.length;
    if (m.kind === 'flip') b[at] ^= 1 << m.bit;
    else if (m.kind === 'set') b[at] = m.value;
    else if (m.kind === 'cut') b = b.subarray(0, at);
    else if (m.kind === 'insert') b = Buffer.concat([b.subarray(0, at), m.bytes, b.subarray(at)]);
    else b = Buffer.concat([b.subarray(0, at), b.subarray(at + m.len)]);
  }
  return b;
}

/** Splits bytes into chunks of the given sizes, cycled. */
export function chunk(b: Buffer, sizes: number[]): Buffer[] {
  const out: Buffer[] = [];
  for (let off = 0, i = 0; off < b.length; i++) {
    const n = Math.max(1, sizes[i % sizes.length]);
    out.push(b.subarray(off, off + n));
    off += n;
  }
  return out;
}

/** Encodes frames; with `echoPort`, the ECHO_PORT placeholder in header values becomes that port. */
export function encodeAll(frames: Frame[], echoPort?: number, compressor = new HeaderCompressor()): Buffer {
  const fix = (h: Headers): Headers => (echoPort === undefined ? h : new Map([...h].map(([k, v]) => [k, v.map((x) => (x === ECHO_PORT ? String(echoPort) : x))])));
  return Buffer.concat(
    frames.map((f) => encodeFrame('headers' in f ? ({ ...f, headers: fix(f.headers) }) : f, compressor)),
  );
}
