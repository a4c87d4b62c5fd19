// A Service connection's half-close while the pod is still sending (bench dataplane `hol`, bulk down, stopped
// by FIN): the client's FIN reaches the pod, the pod stops, and everything it sent before its own FIN, then
// the FIN, reach the client. Through the agent's real listener (agent/service-traffic/listeners.ts), the
// tunnel over loopback TLS, the relay, and the pod piping of the ECI provider (cloud/eci/sessions/
// port-forward.ts) or of the memory provider; with the session's bytes on the gRPC stream and on a data
// connection. The client stops reading before its FIN, so the pod's last bytes still wait in the relay when
// the pod's socket closes (the relay once ended the call under them: the client got neither them nor the FIN).
import test from 'ava';
import { randomUUID } from 'node:crypto';
import { connect, createServer, type Server, type Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import type { V1Pod } from '@kubernetes/client-node';
import { fixture, podIntent, type Fixture } from '../../helpers/tunnel/fixture.js';
import { eventually } from '../../helpers/wait.js';
import { logger } from '../../../common/log.js';
import { ServiceListeners, listenerKey } from '../../../agent/service-traffic/listeners.js';
import { defaultDial, forwardPort } from '../../../cloud/eci/sessions/port-forward.js';
import type { TunnelClient } from '../../../agent/tunnel/client.js';

/** A pod port whose one connection the test writes to; like the bench's `source`, the client's FIN stops it. */
interface Pod {
  server: Server;
  port: number;
  conn?: Socket;
  /** Bytes written on the connection (all of them precede the pod's FIN). */
  written: number;
  /** The client's FIN reached the pod (which then sends its own). */
  gotFin: boolean;
  closed: boolean;
}

async function pod(): Promise<Pod> {
  const p: Pod = { server: createServer({ allowHalfOpen: true }), port: 0, written: 0, gotFin: false, closed: false };
  p.server.on('connection', (c: Socket) => {
    p.conn = c;
    c.on('error', () => c.destroy());
    c.on('close', () => (p.closed = true));
    c.resume();
    c.on('end', () => {
      p.gotFin = true;
      c.end();
    });
  });
  await new Promise<void>((r) => p.server.listen(0, '127.0.0.1', r));
  p.port = (p.server.address() as { port: number }).port;
  return p;
}

const setups: Record<string, { f: Fixture; c: TunnelClient }> = {};
test.before(async () => {
  for (const data of [false, true]) {
    const f = await fixture({}, data ? { data: { port: 0 } } : {});
    setups[String(data)] = { f, c: await f.connectedClient('agent-1') };
  }
});
test.after.always(async () => {
  await Promise.all(Object.values(setups).map((s) => s.f.close()));
});

for (const data of [false, true]) {
  for (const piping of ['eci', 'memory'] as const) {
    test.serial(`client FIN while the pod sends: every byte, then the FIN (${piping} provider piping, ${data ? 'data connection' : 'gRPC stream'})`, async (t) => {
      const { f, c } = setups[String(data)];
      // The relay's side of the session as the provider gets it (what it has not yet passed on to the agent).
      let bridge: Duplex | undefined;
      let toPod: Socket | undefined;
      const original = f.provider.portForward.bind(f.provider);
      f.provider.portForward = (scope, req, stream, signal) => {
        bridge = stream;
        // The ECI provider's piping (the bench's), or the memory provider's pipeline().
        const dial: typeof defaultDial = (host, port, onread) => (toPod = defaultDial(host, port, onread));
        if (piping === 'eci') return forwardPort(dial, '127.0.0.1', req.port, stream, signal, { connectTimeoutMs: 5_000, idleMs: 60_000 });
        return original(scope, req, stream, signal);
      };
      t.teardown(() => (f.provider.portForward = original));
      const uid = randomUUID();
      await c.apply(podIntent(uid, 1, 'web'));
      const p = await pod();
      t.teardown(() => p.server.close());
      const listeners = new ServiceListeners(c, { host: '127.0.0.1', maxConnections: 8 }, logger('test'));
      t.teardown(() => listeners.close());
      const podObject: V1Pod = { metadata: { namespace: 'default', name: 'web', uid } };
      await listeners.sync(new Map([[listenerKey(uid, p.port), { pod: podObject, targetPort: p.port }]]));

      const client = connect({ host: '127.0.0.1', port: listeners.portOf(uid, p.port)!, allowHalfOpen: true });
      t.teardown(() => client.destroy());
      let got = 0;
      let ended = false;
      let failed = '';
      client.on('data', (d: Buffer) => (got += d.length));
      client.on('end', () => (ended = true));
      client.on('error', (e) => (failed = e.message));
      client.on('close', () => (failed ||= ended ? '' : 'closed without a FIN'));
      const conn = await eventually('the pod connection', () => p.conn, 10_000, 10);

      // The pod sends a piece whenever the relay has passed the last one on. After 1 MiB the client stops
      // reading: the agent's side fills up, and a piece stays in the relay (fewer bytes than make it stop
      // reading the pod, so it will read the pod's FIN).
      const piece = Buffer.alloc(64 << 10, 0x61);
      let heldSince = 0;
      await eventually('a piece held in the relay', () => {
        if (got >= 1 << 20) client.pause();
        if (bridge && bridge.writableLength > 0) return Date.now() - (heldSince ||= Date.now()) > 200;
        heldSince = 0;
        if (conn.writableLength === 0) {
          conn.write(piece);
          p.written += piece.length;
        }
        return false;
      }, 30_000, 1);
      t.true(client.isPaused());

      // The client half-closes; the pod takes the FIN and sends its own after what it sent.
      client.end();
      await eventually('the client\'s FIN at the pod, the pod\'s FIN sent', () => p.gotFin && p.closed, 10_000, 10);
      // The pod's FIN is in the relay, behind the held piece (and the ECI piping's socket to the pod is closed).
      // Not so where the ECI piping moves the pod's bytes straight onto a data connection (common/socket-pump.ts):
      // it stops reading the pod while the connection holds a piece, so the FIN waits in the pod's socket.
      const pumped = piping === 'eci' && data;
      if (pumped) t.false(toPod?.readableEnded, 'the pod socket is not read while the data connection holds a piece');
      else await eventually('the pod\'s FIN in the relay', () => bridge?.writableEnded && (piping !== 'eci' || toPod?.closed), 10_000, 10);
      client.resume();
      await eventually('the client\'s download to end', () => ended || failed, 10_000, 10).catch((e: Error) => t.fail(`${e.message}: got ${got} of ${p.written} bytes`));
      t.is(failed, '');
      t.true(ended, 'the FIN reached the client');
      t.is(got, p.written, 'every byte the pod sent');
      // The session ends too: the listener's connection closes.
      await eventually('the Service connection to close', () => listeners.connections === 0, 10_000, 20);
    });
  }
}
