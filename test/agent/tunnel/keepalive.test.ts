// Keepalive: a path that silently stops carrying bytes (no FIN/RST) is detected by HTTP/2 keepalive
// pings; the agent reports disconnected, reconnects on a fresh connection and pending calls recover.
import test from 'ava';
import { randomUUID } from 'node:crypto';
import { fixture, once, podIntent, until, type Fixture } from '../../helpers/tunnel/fixture.js';
import { startForwarder } from '../../helpers/tunnel/net-peers.js';

let f: Fixture;
test.before(async () => {
  f = await fixture({}, { minPingIntervalMs: 200 });
});
test.after.always(async () => {
  await f?.close();
});

test('a black-holed connection is detected by keepalive and replaced', async (t) => {
  const fwd = await startForwarder(f.relay.port);
  t.teardown(() => fwd.close());
  const cert = await f.clientCert('agent-1');
  const c = f.client({
    target: `127.0.0.1:${fwd.port}`,
    keepaliveTimeMs: 500,
    keepaliveTimeoutMs: 500,
    tls: f.tlsFor(cert),
  });
  c.start();
  await once(c, 'connected');
  const states: string[] = [];
  c.on('state', (s: string) => states.push(s));
  fwd.blackhole(); // existing connection is dead; new ones still work
  await until(() => states.includes('disconnected'), 15_000, 'keepalive detected the dead path');
  await until(() => c.state === 'connected', 15_000, 'reconnected');
  t.true((await c.apply(podIntent(randomUUID()))).changed);
  t.true(fwd.connections() >= 1);
});
