// The session data connection's bytes (proto/data-connection.ts): the hello, and exec output frames that
// any split of the stream into reads reassembles exactly, in order, per channel; bad frames are refused.
import test from 'ava';
import fc from 'fast-check';
import { randomBytes } from 'node:crypto';
import { DATA_CHANNEL, DATA_HELLO_BYTES, DataFrameDecoder, MAX_DATA_FRAME_BYTES, dataFrameHeader, dataHello, parseDataHello } from '../../proto/data-connection.js';

test('hello: preamble and 32-byte token, and back', (t) => {
  const token = randomBytes(32).toString('base64url');
  const hello = dataHello(token);
  t.is(hello.length, DATA_HELLO_BYTES);
  t.is(parseDataHello(hello), token);
  t.throws(() => dataHello(randomBytes(31).toString('base64url')), { message: /32 bytes/ });
  for (const bad of [Buffer.alloc(0), hello.subarray(1), Buffer.concat([hello, Buffer.of(0)]), Buffer.concat([Buffer.from('GET / HT'), hello.subarray(8)])]) t.is(parseDataHello(bad), undefined);
});

test('frames split at any points come back exactly, per channel and in order', (t) => {
  fc.assert(
    fc.property(
      fc.array(fc.tuple(fc.constantFrom(DATA_CHANNEL.stdout, DATA_CHANNEL.stderr), fc.uint8Array({ maxLength: 600 })), { maxLength: 12 }),
      fc.array(fc.integer({ min: 1, max: 97 }), { minLength: 1, maxLength: 20 }),
      (frames, cuts) => {
        const wire = Buffer.concat(frames.flatMap(([ch, p]) => [dataFrameHeader(ch, p.length), Buffer.from(p)]));
        const got: Record<number, Buffer[]> = { 1: [], 2: [] };
        const d = new DataFrameDecoder((ch, piece) => got[ch].push(Buffer.from(piece)));
        let at = 0;
        for (let i = 0; at < wire.length; i++) {
          const n = cuts[i % cuts.length];
          d.write(wire.subarray(at, at + n));
          at += n;
        }
        const want = (ch: number) => Buffer.concat(frames.filter(([c]) => c === ch).map(([, p]) => Buffer.from(p)));
        return d.atBoundary && Buffer.concat(got[1]).equals(want(1)) && Buffer.concat(got[2]).equals(want(2));
      },
    ),
  );
  t.pass();
});

test('an unknown channel or an oversized frame is refused; a cut frame is not at a boundary', (t) => {
  const d = () => new DataFrameDecoder(() => undefined);
  t.throws(() => d().write(dataFrameHeader(3, 1)), { message: /unknown channel 3/ });
  t.throws(() => d().write(dataFrameHeader(0, 1)), { message: /unknown channel 0/ });
  t.throws(() => d().write(dataFrameHeader(1, MAX_DATA_FRAME_BYTES + 1)), { message: /over the/ });
  const cut = d();
  cut.write(Buffer.concat([dataFrameHeader(1, 10), Buffer.alloc(4)]));
  t.false(cut.atBoundary);
  const half = d();
  half.write(dataFrameHeader(2, 10).subarray(0, 3));
  t.false(half.atBoundary, 'inside a header');
  fc.assert(fc.property(fc.uint8Array({ maxLength: 300 }), (bytes) => {
    try {
      d().write(Buffer.from(bytes));
    } catch (e) {
      return /data connection/.test((e as Error).message);
    }
    return true;
  }));
});
