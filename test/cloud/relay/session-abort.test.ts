// A session that ends while the relay waits to hand the pod's bytes on (bench dataplane `hol --bulk-stop
// reset`): a Service connection on a data connection, the pod sending, the agent side no longer reading, then
// the agent cancels (as its listener does when the client resets). The relay's writable toward the data
// connection, its write waiting for 'drain', fails with 'session closed'; that once was an unhandled 'error'
// that ended the relay's process. The relay must go on serving, with no uncaught exception.
import test from 'ava';
import { randomUUID } from 'node:crypto';
import { createServer, type Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { fixture, podIntent, type Fixture } from '../../helpers/tunnel/fixture.js';
import { echoServer } from '../../helpers/tunnel/streams.js';
import { eventually } from '../../helpers/wait.js';

let f: Fixture;
const uncaught: unknown[] = [];
const record = (e: unknown) => uncaught.push(e);
test.before(async () => {
  process.on('uncaughtExceptionMonitor', record);
  f = await fixture({}, { data: { port: 0 } });
});
test.after.always(async () => {
  process.off('uncaughtExceptionMonitor', record);
  await f?.close();
});

const claimed = async () => (await f.relay.registry.getSingleMetric('ecigw_relay_data_connections_total')!.get()).values.find((v) => v.labels.outcome === 'claimed')?.value ?? 0;

test.serial('a Service connection cancelled while the relay waits for its data connection to drain leaves the relay serving', async (t) => {
  const c = await f.connectedClient('agent-1');
  const uid = randomUUID();
  await c.apply(podIntent(uid, 1, 'web'));
  // The pod sends 1 MiB pieces as fast as it is let, until its connection goes.
  const chunk = Buffer.alloc(1 << 20, 0x61);
  let podConn: Socket | undefined;
  const pod = createServer((s) => {
    podConn = s;
    s.on('error', () => s.destroy());
    const pump = () => {
      while (!s.destroyed) if (!s.write(chunk)) return void s.once('drain', pump);
    };
    pump();
  });
  await new Promise<void>((r) => pod.listen(0, '127.0.0.1', r));
  t.teardown(() => pod.close());
  const port = (pod.address() as { port: number }).port;
  // The relay's side of the session as the provider gets it.
  let bridge: Duplex | undefined;
  const original = f.provider.portForward.bind(f.provider);
  f.provider.portForward = (scope, req, stream, signal) => ((bridge = stream), original(scope, req, stream, signal));
  t.teardown(() => (f.provider.portForward = original));

  const before = await claimed();
  const pf = await c.portForward({ namespace: 'default', podName: 'web', podUid: uid, port }, { service: true });
  pf.stream.on('error', () => undefined);
  let got = 0;
  pf.stream.on('data', (d: Buffer) => {
    got += d.length;
    if (got >= 4 << 20) pf.stream.pause(); // the client stops reading
  });
  await eventually('4 MiB through the data connection', () => got >= 4 << 20, 10_000, 10);
  t.is(await claimed(), before + 1, 'the session took a data connection');
  // Everything between the pod and the agent fills up; the relay's bridge stays full (its write to the data
  // connection waits for 'drain').
  let fullSince = 0;
  await eventually('the relay waiting for the data connection to drain', () => {
    if (!bridge?.writableNeedDrain) return void (fullSince = 0);
    return Date.now() - (fullSince ||= Date.now()) > 300;
  }, 20_000, 10);

  pf.cancel();
  await eventually('the relay to close the pod connection', () => podConn?.destroyed, 10_000, 10);

  // The relay still serves: a new session carries bytes both ways.
  const echo = await echoServer();
  t.teardown(() => echo.server.close());
  const again = await c.portForward({ namespace: 'default', podName: 'web', podUid: uid, port: echo.port }, { service: true });
  const reply: Buffer[] = [];
  again.stream.on('data', (d: Buffer) => reply.push(d));
  again.stream.end('still here');
  await eventually('the echo', () => again.stream.readableEnded, 10_000, 10);
  t.is(Buffer.concat(reply).toString(), 'still here');
  t.deepEqual(uncaught, [], 'no uncaught exception');
});
