// Isolation and backpressure: a session whose reader never reads (a stalled kubectl) keeps memory
// bounded (the producer is paused by HTTP/2 flow control), does not block other sessions or pod
// intents on the same connection, and is ended by the relay's send timeout with a metric.
import test from 'ava';
import { randomUUID } from 'node:crypto';
import { text } from 'node:stream/consumers';
import * as grpc from '@grpc/grpc-js';
import { fixture, podIntent, type Fixture } from '../../helpers/tunnel/fixture.js';
import { eventually } from '../../helpers/wait.js';
import type { TunnelClient } from '../../../agent/tunnel/client.js';

let f: Fixture;
let c: TunnelClient;
const uid = randomUUID();
test.before(async () => {
  f = await fixture({ sendTimeoutMs: 2_500 });
  c = await f.connectedClient('agent-1', { stallTimeoutMs: 4_000 });
  await c.apply(podIntent(uid));
});
test.after.always(async () => {
  await f?.close();
});

const start = (command: string[], extra: Record<string, unknown> = {}) => ({ podUid: uid, container: 'main', command, stdout: true, ...extra });

test('a reader that never reads: bounded memory, other sessions and intents unaffected, session ended with a metric', async (t) => {
  const stalled = await c.exec(start(['yes'])); // infinite output, nobody reads it
  // The producer is paused: it waits for 'drain' and its output stops growing (two looks in a row: the first
  // blocked write may still drain into the HTTP/2 window), bounded by the per-session buffers and the stream
  // window, not by how long the reader stalls.
  let last = -1;
  const plateau = await eventually('the stalled session\'s producer paused by backpressure', () => {
    const now = f.provider.producedBytes;
    const steady = f.provider.pausedProducers === 1 && now > 0 && now === last;
    last = now;
    return steady && now;
  }, 10_000, 100);
  t.log(`stalled session: ${plateau} bytes produced before the producer was paused`);
  // On the gRPC stream the HTTP/2 window bounds it; on a data connection the kernel's TCP buffers of one
  // loopback connection do (a few MiB, none of it in either process's heap).
  t.true(plateau < (process.env.ECIGW_TEST_DATA_CONN === '1' ? 8 : 2) * 1024 * 1024, `buffered ${plateau} bytes`);

  // Meanwhile, on the same connection: a 4 MiB transfer, a second exec, logs and intents all complete.
  const bulk = await c.exec(start(['yes', String(4 * 1024 * 1024)]));
  const [bulkOut, bulkExit] = await Promise.all([text(bulk.stdout), bulk.exit]);
  t.is(bulkOut.length, 4 * 1024 * 1024);
  t.is(bulkExit.code, 0);
  const echo = await c.exec(start(['echo', 'still', 'alive']));
  t.is(await text(echo.stdout), 'still alive\n');
  const logs = await c.logs({ podUid: uid, container: 'main', tailLines: 1 });
  t.regex(await text(logs.stream), /line 10/);
  for (let i = 0; i < 20; i++) t.true((await c.apply(podIntent(randomUUID()))).changed);
  // All that traffic went past the stalled session: its producer did not get another byte out meanwhile (the
  // provider counts every `yes`: the stalled one's plateau plus the 4 MiB transfer).
  t.is(f.provider.producedBytes, plateau + 4 * 1024 * 1024, 'producer stayed paused while the reader stalled');

  // The relay ends the stalled session (send timeout) — only that one — and counts it.
  const err = (await stalled.exit.catch((e: unknown) => e)) as { code: number; message: string };
  t.is(err.code, grpc.status.RESOURCE_EXHAUSTED);
  // The relay gave up after its send timeout; the agent, whose own reader never read, ends its side too. On
  // the gRPC stream the agent's own stall timer (4 s) reports first (grpc-js holds the relay's status behind
  // the unread messages); on a data connection the relay's status (2.5 s) arrives on the idle gRPC stream.
  t.regex(err.message, process.env.ECIGW_TEST_DATA_CONN === '1' ? /the agent did not read for 2500 ms/ : /did not read for 4000 ms/);
  const m = await f.relay.registry.getSingleMetricAsString('ecigw_relay_session_aborts_total');
  t.regex(m, /kind="exec",reason="send_timeout"\} 1/);
  t.is(c.state, 'connected');
});

test('a pod that never reads stdin: the writer is paused, then the agent ends that session only', async (t) => {
  const c2 = await f.connectedClient('agent-1', { stallTimeoutMs: 1_500 });
  // `size` waits for a terminal resize and never reads stdin.
  const s = await c2.exec(start(['size'], { stdin: true, tty: true }));
  const chunk = Buffer.alloc(32 * 1024, 1);
  let accepted = 0;
  const pump = async () => {
    while (!s.stdin!.destroyed) {
      if (!s.stdin!.write(chunk)) {
        await new Promise<void>((r) => {
          const done = () => (s.stdin!.off('drain', done).off('close', done), r());
          s.stdin!.once('drain', done).once('close', done);
        });
      }
      accepted += chunk.length;
      if (accepted > 64 * 1024 * 1024) break;
    }
  };
  void pump();
  const err = (await s.exit.catch((e: unknown) => e)) as { code: number; message: string };
  t.is(err.code, grpc.status.RESOURCE_EXHAUSTED);
  t.regex(err.message, /relay did not accept input for 1500 ms/);
  // On a data connection the input that waits also fills the kernel's socket buffers (a few MiB on loopback,
  // outside either process) before the writer is paused.
  const bound = process.env.ECIGW_TEST_DATA_CONN === '1' ? 16 * 1024 * 1024 : 4 * 1024 * 1024;
  t.true(accepted < bound, `writer paused after ${accepted} bytes`);
  const echo = await c2.exec(start(['echo', 'ok']));
  t.is(await text(echo.stdout), 'ok\n');
});
