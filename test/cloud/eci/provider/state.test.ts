// Provider state helpers: status bytes are kept in buffers of their own, not in slices of the shared pool.
import test from 'ava';
import { ownedUtf8 } from '../../../../cloud/eci/provider/state.js';

test('ownedUtf8 holds exactly the UTF-8 bytes, in an ArrayBuffer of its own', (t) => {
  for (const s of ['', '{"phase":"Running"}', 'héllo – 容器组 🚀', 'x'.repeat(5000)]) {
    const b = ownedUtf8(s);
    t.is(b.toString('utf8'), s);
    t.is(b.length, Buffer.byteLength(s));
    t.is(b.buffer.byteLength, b.length, 'not a slice of a larger (pooled) buffer');
  }
  // The library default, for contrast: a short string lands in the shared pool.
  t.true(Buffer.from('{"phase":"Running"}').buffer.byteLength > 19);
});

test('statuses kept among short-lived buffers hold only their own bytes', (t) => {
  const kept: Buffer[] = [];
  let pinnedOwned = 0;
  for (let i = 0; i < 2000; i++) {
    kept.push(ownedUtf8(JSON.stringify({ i, pad: 'x'.repeat(600) })));
    Buffer.from('y'.repeat(300)); // short-lived pooled neighbour
  }
  for (const b of new Set(kept.map((b) => b.buffer))) pinnedOwned += b.byteLength;
  t.is(pinnedOwned, kept.reduce((a, b) => a + b.length, 0));
});
