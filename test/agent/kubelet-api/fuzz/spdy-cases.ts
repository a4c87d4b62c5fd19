// SPDY fuzz targets: the framer (round trip across arbitrary splits; mutated and random bytes) and a server
// session serving exec or port-forward fed generated and mutated frames, with its held bytes checked against
// their bounds after every chunk, then a well-behaved exec on the same backend.
import fc from 'fast-check';
import { FrameDecoder, HeaderCompressor, HeaderDecompressor, MAX_FRAME_PAYLOAD, SpdyProtocolError, type Frame, type Headers } from '../../../../agent/kubelet-api/spdy/frames.js';
import { SpdySession } from '../../../../agent/kubelet-api/spdy/session.js';
import { serveSpdyCommand } from '../../../../agent/kubelet-api/remotecommand.js';
import { serveSpdyPortForward } from '../../../../agent/kubelet-api/portforward.js';
import { duplexPair } from '../duplex-pair.js';
import { ECHO_PORT, chunk, encodeAll, frameArb, mutate, mutationArb, type Mutation } from './arbitraries.js';
import { POD } from './echo-backend.js';
import { BOUNDS, OUTPUT_SLACK, tick, within, type FuzzEnv } from './env.js';

/** Frames the decoder must accept (a SYN_STREAM may not open stream 0). */
const validFrameArb = frameArb.filter((f) => !(f.type === 'syn_stream' && (f.streamId & 0x7fffffff) === 0));

export const framerRoundTrip = fc.property(fc.array(validFrameArb, { maxLength: 30 }), fc.array(fc.integer({ min: 1, max: 5000 }), { minLength: 1, maxLength: 6 }), (frames, sizes) => {
  const wire = encodeAll(frames);
  const d = new FrameDecoder(new HeaderDecompressor());
  const out: Frame[] = [];
  for (const c of chunk(wire, sizes)) {
    d.push(c);
    for (let f = d.next(); f; f = d.next()) out.push(f);
  }
  if (d.buffered !== 0) throw new Error(`${d.buffered} bytes left over`);
  if (out.length !== frames.length) throw new Error(`decoded ${out.length} of ${frames.length} frames`);
  const norm = (f: Frame) => JSON.stringify(f, (_k, v: unknown) => (v instanceof Map ? [...v] : v && typeof v === 'object' && (v as { type?: string }).type === 'Buffer' ? Buffer.from((v as { data: number[] }).data).toString('hex') : v));
  // Decoding normalises what encoding cannot carry (31-bit ids, lower-case header names, 3-bit priority).
  const canon = (f: Frame): Frame => {
    const g = { ...f } as Record<string, unknown>;
    for (const k of ['streamId', 'associatedId', 'lastGoodStreamId', 'delta']) if (typeof g[k] === 'number') g[k] = (g[k]) & 0x7fffffff;
    if (f.type === 'settings') g.settings = f.settings.map((s) => ({ flags: s.flags, id: s.id, value: s.value >>> 0 }));
    if (f.type === 'ping') g.id = f.id >>> 0;
    if (f.type === 'rst_stream' || f.type === 'goaway') g.status = f.status >>> 0;
    if ('headers' in f) {
      const h: Headers = new Map();
      for (const [k, v] of f.headers) h.set(k.toLowerCase(), [...(h.get(k.toLowerCase()) ?? []), ...v.flatMap((x) => x.split('\0'))]);
      g.headers = h;
    }
    return g as Frame;
  };
  for (let i = 0; i < frames.length; i++) {
    const want = canon(frames[i]);
    if (want.type === 'data') (want as { data: unknown }).data = Buffer.from(frames[i].type === 'data' ? (frames[i] as { data: Buffer }).data : []);
    if (norm(out[i]) !== norm(want)) throw new Error(`frame ${i}: ${norm(out[i]).slice(0, 200)} != ${norm(want).slice(0, 200)}`);
  }
});

export const framerGarbage = fc.property(
  fc.oneof(
    fc.tuple(fc.array(frameArb, { maxLength: 20 }), fc.array(mutationArb, { minLength: 1, maxLength: 6 })).map(([frames, ms]) => mutate(encodeAll(frames), ms)),
    fc.uint8Array({ maxLength: 4000 }).map((u) => Buffer.from(u)),
  ),
  fc.array(fc.integer({ min: 1, max: 3000 }), { minLength: 1, maxLength: 6 }),
  (wire, sizes) => {
    const d = new FrameDecoder(new HeaderDecompressor());
    let pushed = 0;
    try {
      for (const c of chunk(wire, sizes)) {
        d.push(c);
        pushed += c.length;
        for (let f = d.next(); f; f = d.next()) void f;
        if (d.buffered > MAX_FRAME_PAYLOAD + 8) throw new Error(`decoder holds ${d.buffered} bytes`);
      }
    } catch (e) {
      if (!(e instanceof SpdyProtocolError)) throw e;
    }
    if (d.copiedBytes > pushed) throw new Error(`copied ${d.copiedBytes} bytes for ${pushed} pushed`);
  },
);

// ---------------------------------------------------------------------------------------------------------
// Target 2 and 4 (SPDY): a session serving exec or port-forward, fed generated and mutated frames.

export interface SpdyCase {
  handler: 'exec' | 'portforward';
  protocol: string;
  prelude: boolean;
  frames: Frame[];
  mutations: Mutation[];
  chunks: number[];
  reads: boolean;
}

const execPrelude: Frame[] = [1, 3, 5, 7].map((id, i) => ({ type: 'syn_stream', streamId: id, associatedId: 0, priority: 0, fin: false, unidirectional: false, headers: new Map([['streamtype', [['error', 'stdin', 'stdout', 'stderr'][i]]]]) }));
const pfPrelude: Frame[] = [
  { type: 'syn_stream', streamId: 1, associatedId: 0, priority: 0, fin: false, unidirectional: false, headers: new Map([['streamtype', ['error']], ['port', [ECHO_PORT]], ['requestid', ['0']]]) },
  { type: 'syn_stream', streamId: 3, associatedId: 0, priority: 0, fin: false, unidirectional: false, headers: new Map([['streamtype', ['data']], ['port', [ECHO_PORT]], ['requestid', ['0']]]) },
];

export function spdyCaseArb(handler: 'exec' | 'portforward'): fc.Arbitrary<SpdyCase> {
  return fc.record({
    handler: fc.constant(handler),
    protocol: handler === 'exec' ? fc.constantFrom('v4.channel.k8s.io', 'v3.channel.k8s.io', 'channel.k8s.io') : fc.constant('portforward.k8s.io'),
    prelude: fc.boolean(),
    frames: fc.array(frameArb, { maxLength: 40 }),
    mutations: fc.oneof({ weight: 3, arbitrary: fc.constant([] as Mutation[]) }, { weight: 1, arbitrary: fc.array(mutationArb, { minLength: 1, maxLength: 4 }) }),
    chunks: fc.array(fc.integer({ min: 1, max: 8192 }), { minLength: 1, maxLength: 6 }),
    reads: fc.boolean(),
  });
}

export interface Peaks {
  output: number;
  input: number;
  streams: number;
}

/** Feeds one generated case to a server session; returns the peaks of what it held. Throws on a broken property. */
export async function runSpdyCase(env: FuzzEnv, c: SpdyCase): Promise<Peaks> {
  const [serverEnd, clientEnd] = duplexPair();
  clientEnd.on('error', () => undefined);
  const session = new SpdySession(serverEnd, {
    role: 'server',
    maxStreams: BOUNDS.maxStreams,
    streamHighWaterMark: BOUNDS.streamHighWaterMark,
    maxBufferedInputBytes: BOUNDS.maxBufferedInputBytes,
    maxQueuedOutputBytes: BOUNDS.maxQueuedOutputBytes,
    dataHighWaterMark: BOUNDS.dataHighWaterMark,
    outputStallTimeoutMs: 100,
    maxViolations: 40,
    goAwayGraceMs: 100,
    idleTimeoutMs: 10_000,
  });
  const served =
    c.handler === 'exec'
      ? serveSpdyCommand('exec', session, c.protocol, env.backend, { pod: POD, container: 'main', command: ['cat'], stdin: true, stdout: true, stderr: true, tty: false }, { stdin: true, stdout: true, stderr: true, tty: false }, 200)
      : serveSpdyPortForward(session, env.backend, POD, { pairTimeoutMs: 200, maxPairs: BOUNDS.maxPairs });
  const frames = c.prelude ? [...(c.handler === 'exec' ? execPrelude : pfPrelude), ...c.frames] : c.frames;
  const wire = mutate(encodeAll(frames, env.backend.echoPort), c.mutations);
  if (c.reads) clientEnd.resume();
  else clientEnd.pause();
  const peaks: Peaks = { output: 0, input: 0, streams: 0 };
  const sample = () => {
    peaks.output = Math.max(peaks.output, session.queuedOutputBytes);
    peaks.input = Math.max(peaks.input, session.bufferedInputBytes);
    peaks.streams = Math.max(peaks.streams, session.streamCount);
  };
  let largest = 0;
  for (const part of chunk(wire, c.chunks)) {
    largest = Math.max(largest, part.length);
    clientEnd.write(part); // processed synchronously by the server: a throw would surface here
    sample();
    await tick();
    sample();
  }
  for (let i = 0; i < 5; i++) {
    await tick();
    sample();
  }
  if (peaks.output > BOUNDS.maxQueuedOutputBytes + OUTPUT_SLACK) throw new Error(`queued output ${peaks.output} over its bound`);
  if (peaks.input > MAX_FRAME_PAYLOAD + 8 + largest) throw new Error(`undecoded input ${peaks.input} over its bound`);
  if (peaks.streams > BOUNDS.maxStreams) throw new Error(`${peaks.streams} streams open, cap ${BOUNDS.maxStreams}`);
  const held = session.bufferedStreamBytes;
  if (held > BOUNDS.maxBufferedInputBytes + largest + BOUNDS.streamHighWaterMark) throw new Error(`streams hold ${held} inbound bytes`);
  session.close();
  clientEnd.destroy();
  await within<unknown>(served, 5000, `the ${c.handler} handler`);
  return peaks;
}

/** A well-behaved exec over SPDY on the same backend: the echo of a line comes back. */
export async function healthySpdyExec(env: FuzzEnv): Promise<void> {
  const [serverEnd, clientEnd] = duplexPair();
  const session = new SpdySession(serverEnd, { role: 'server' });
  const served = serveSpdyCommand('exec', session, 'v4.channel.k8s.io', env.backend, { pod: POD, container: 'main', command: ['cat'], stdin: true, stdout: true, stderr: false, tty: false }, { stdin: true, stdout: true, stderr: false, tty: false }, 2000);
  const c = new HeaderCompressor();
  const d = new FrameDecoder(new HeaderDecompressor());
  let out = '';
  const echoed = new Promise<void>((resolve) =>
    clientEnd.on('data', (b: Buffer) => {
      d.push(b);
      for (let f = d.next(); f; f = d.next()) if (f.type === 'data' && f.streamId === 5) out += f.data.toString();
      if (out === 'healthy\n') resolve();
    }),
  );
  clientEnd.write(encodeAll([execPrelude[0], execPrelude[1], execPrelude[2], { type: 'data', streamId: 3, fin: true, data: Buffer.from('healthy\n') }], undefined, c));
  await within(echoed, 5000, 'a healthy exec echo');
  await within(served, 5000, 'a healthy exec');
  clientEnd.destroy();
}
