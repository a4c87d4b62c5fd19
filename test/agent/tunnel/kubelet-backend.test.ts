// The kubelet API's tunnel backend against a real relay (in-memory provider) over gRPC on loopback: a TTY
// exec starts from the terminal size the client sent before the tunnel session was open; a client gone
// before it was open gets it cancelled.
import test from 'ava';
import { randomUUID } from 'node:crypto';
import { PassThrough } from 'node:stream';
import { text } from 'node:stream/consumers';
import type { V1Pod } from '@kubernetes/client-node';
import { fixture, podIntent, type Fixture } from '../../helpers/tunnel/fixture.js';
import type { TunnelClient } from '../../../agent/tunnel/client.js';
import { TunnelKubeletBackend } from '../../../agent/tunnel/kubelet-backend.js';
import { TerminalSizes } from '../../../agent/kubelet-api/channels.js';

let f: Fixture;
let c: TunnelClient;
const uid = randomUUID();
const pod: V1Pod = { metadata: { namespace: 'default', name: 'web', uid } };
test.before(async () => {
  f = await fixture();
  c = await f.connectedClient('agent-1');
  await c.apply(podIntent(uid, 1, 'web'));
});
test.after.always(async () => {
  await f?.close();
});

test('a TTY exec gets the size the client sent before the tunnel session opened', async (t) => {
  const backend = new TunnelKubeletBackend(c, { getPod: () => pod, pods: () => [pod] }, 'vk');
  const sizes = new TerminalSizes();
  sizes.push({ cols: 120, rows: 40 });
  const stdout = new PassThrough();
  const stdin = new PassThrough();
  const ac = new AbortController();
  const timer = setTimeout(() => ac.abort(), 10_000);
  // `size` (memory provider) prints the first terminal size it receives and exits when stdin ends.
  const res = backend.exec({ pod, container: 'main', command: ['size'], tty: true, stdin: true, stdout: true, stderr: false }, { stdin, stdout, resize: sizes, signal: ac.signal });
  const out = text(stdout);
  const first = await Promise.race([
    new Promise<string>((resolve) => stdout.once('data', (d: Buffer) => resolve(d.toString()))),
    new Promise<string>((resolve) => setTimeout(() => resolve('no size within 10 s'), 10_000).unref()),
  ]);
  t.is(first, '120x40\n');
  stdin.end();
  t.is((await res).exitCode, 0);
  clearTimeout(timer);
  stdout.end();
  await out;
});

test('a client that went away while the tunnel session was opening gets it cancelled, not left running', async (t) => {
  const backend = new TunnelKubeletBackend(c, { getPod: () => pod, pods: () => [pod] }, 'vk');
  const ac = new AbortController();
  ac.abort();
  // `size` waits for a terminal size and then for stdin to end: neither ever comes from a client that is gone.
  const res = backend.exec({ pod, container: 'main', command: ['size'], tty: true, stdin: true, stdout: true, stderr: false }, { stdin: new PassThrough(), stdout: new PassThrough(), resize: new TerminalSizes(), signal: ac.signal });
  const outcome = await Promise.race([res.then(() => 'ended'), new Promise<string>((resolve) => setTimeout(() => resolve('still running after 10 s'), 10_000).unref())]);
  t.is(outcome, 'ended');
});

test('TerminalSizes: follow starts from the newest size; first waits for one, gives up after its bound, and does not wait without a resize stream', async (t) => {
  const sizes = new TerminalSizes();
  const ac = new AbortController();
  const waiting = sizes.first(5_000, ac.signal);
  sizes.push({ cols: 80, rows: 24 });
  t.deepEqual(await waiting, { cols: 80, rows: 24 });
  sizes.push({ cols: 100, rows: 30 });
  const seen: string[] = [];
  const unfollow = sizes.follow((s) => seen.push(`${s.cols}x${s.rows}`));
  sizes.push({ cols: 101, rows: 33 });
  unfollow();
  sizes.push({ cols: 1, rows: 1 });
  t.deepEqual(seen, ['100x30', '101x33']);

  const none = new TerminalSizes();
  t.is(await none.first(50, ac.signal), undefined, 'the wait is bounded');
  const noStream = new TerminalSizes(false);
  const started = Date.now();
  t.is(await noStream.first(60_000, ac.signal), undefined);
  t.true(Date.now() - started < 1000, 'no wait when the client cannot send sizes');
});
