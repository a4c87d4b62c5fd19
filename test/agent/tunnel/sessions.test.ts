// Sessions through the tunnel: exec (stdout, stderr, stdin, exit codes, resize), attach, logs
// (tail, limit, follow + cancel), port-forward to a real TCP server with half-close, stats, reconcile.
import test from 'ava';
import { randomUUID } from 'node:crypto';
import { createServer } from 'node:net';
import { text } from 'node:stream/consumers';
import { fixture, podIntent, until, type Fixture } from '../../helpers/tunnel/fixture.js';
import type { TunnelClient } from '../../../agent/tunnel/client.js';

let f: Fixture;
let c: TunnelClient;
const uid = randomUUID();
test.before(async () => {
  f = await fixture();
  c = await f.connectedClient('agent-1');
  await c.apply(podIntent(uid, 1, 'web'));
});
test.after.always(async () => {
  await f?.close();
});

const start = (command: string[], extra: Record<string, unknown> = {}) => ({ namespace: 'default', podName: 'web', podUid: uid, container: 'main', command, stdout: true, stderr: true, ...extra });

test('exec echo returns stdout and exit 0', async (t) => {
  const s = await c.exec(start(['echo', 'hello', 'world']));
  const [out, exit] = await Promise.all([text(s.stdout), s.exit]);
  t.is(out, 'hello world\n');
  t.is(exit.code, 0);
});

test('exec carries stderr and non-zero exit codes', async (t) => {
  const e = await c.exec(start(['stderr', 'oops']));
  t.is(await text(e.stderr), 'oops\n');
  t.is((await e.exit).code, 0);
  const x = await c.exec(start(['exit', '3']));
  const st = await x.exit;
  t.is(st.code, 3);
  t.is(st.reason, 'NonZeroExitCode');
});

test('exec with stdin: bytes in, same bytes out, close_stdin ends the command', async (t) => {
  const s = await c.exec(start(['cat'], { stdin: true }));
  const payload = Buffer.alloc(300_000, 'abcdefghij');
  const outP = text(s.stdout);
  s.stdin!.end(payload);
  t.is((await outP).length, payload.length);
  t.is((await s.exit).code, 0);
});

test('tty resize reaches the pod side', async (t) => {
  const s = await c.exec(start(['size'], { tty: true, stdin: true }));
  s.resize(120, 40);
  t.is(await text(s.stdout), '120x40\n');
  s.stdin!.end();
  t.is((await s.exit).code, 0);
});

test('attach pipes stdin to stdout', async (t) => {
  const s = await c.attach(start([], { stdin: true }));
  const outP = text(s.stdout);
  s.stdin!.end('attached\n');
  t.is(await outP, 'attached\n');
  t.is((await s.exit).code, 0);
});

test('logs: tail and limit_bytes', async (t) => {
  const tail = await c.logs({ podUid: uid, container: 'main', tailLines: 2 });
  t.is(await text(tail.stream), 'web/main line 9\nweb/main line 10\n');
  const lim = await c.logs({ podUid: uid, container: 'main', limitBytes: 5 });
  t.is(await text(lim.stream), 'web/m');
});

test('logs -f streams new lines until cancelled', async (t) => {
  const s = await c.logs({ podUid: uid, container: 'main', follow: true, tailLines: 1 });
  let got = '';
  s.stream.on('data', (b: Buffer) => (got += b.toString()));
  s.stream.on('error', () => undefined);
  await until(() => got.includes('line 13'), 5_000, 'followed lines');
  s.cancel();
  await until(() => s.stream.destroyed || s.stream.readableEnded, 5_000, 'stream closed');
  t.true(got.startsWith('web/main line 10\nweb/main line 11\n'));
});

test('port-forward carries bytes both ways to a real TCP port, with half-close', async (t) => {
  // An upper-casing server that answers after the client half-closes.
  const server = createServer((sock) => {
    const parts: Buffer[] = [];
    sock.on('data', (b) => parts.push(b));
    sock.on('end', () => sock.end(Buffer.concat(parts).toString().toUpperCase()));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  t.teardown(() => server.close());
  const port = (server.address() as { port: number }).port;
  const pf = await c.portForward({ podUid: uid, port });
  const reply = text(pf.stream);
  pf.stream.end('ping through the tunnel');
  t.is(await reply, 'PING THROUGH THE TUNNEL');
});

test('stats and reconcile', async (t) => {
  const stats = await c.stats([uid]);
  t.is(stats.length, 1);
  t.is(stats[0].uid, uid);
  t.true(stats[0].containers[0].memoryWorkingSetBytes > 0);
  const orphan = randomUUID();
  await c.apply(podIntent(orphan));
  const missing = randomUUID();
  const r = await c.reconcile([
    { uid, generation: 2 },
    { uid: missing, generation: 1 },
  ]);
  t.deepEqual(r.missing, [{ uid: missing, generation: 1 }]);
  t.deepEqual(r.stale, [{ uid, generation: 1 }]);
  t.true(r.orphans.some((o) => o.uid === orphan));
  // orphanGraceMs is 0 in the fixture: the provider garbage-collected the orphan.
  t.false(f.provider.allPods().some((p) => p.uid === orphan));
});
