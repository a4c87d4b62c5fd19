// Calls our kubelet API directly with the real cluster behind its TokenReview/SubjectAccessReview:
// 401 without credentials or with a bad token, 403 for authenticated users without RBAC, 200 for the
// apiserver's kubelet-client identity; the read endpoints; and the WebSocket port-forward channel form.
import test from 'ava';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { Agent, request } from 'undici';
import WebSocket from 'ws';
import { CoreV1Api } from '@kubernetes/client-node';
import { useCluster, type ClusterHandle } from '../../cluster/fixture.js';
import { startTestNode, type TestNode } from './e2e-node.js';
import { eventually } from '../../helpers/wait.js';

let c: ClusterHandle;
let node: TestNode;
let admin: { cert: string; key: string };

test.before(async () => {
  c = await useCluster();
  node = await startTestNode(c, `kapi-direct-${process.pid}`, false);
  await node.addPod('app', [{ name: 'main', command: ['sh', '-c', 'echo started; sleep 3600'] }]);
  admin = { cert: readFileSync(c.pki.kubeletClientCertPath, 'utf8'), key: readFileSync(c.pki.kubeletClientKeyPath, 'utf8') };
});

test.after.always(async () => {
  await node?.close();
});

function url(path: string): string {
  return `https://127.0.0.1:${node.server.port}${path}`;
}

async function get(path: string, opts: { cert?: string; key?: string; token?: string } = {}): Promise<{ status: number; body: string }> {
  const dispatcher = new Agent({ connect: { rejectUnauthorized: false, cert: opts.cert, key: opts.key } });
  try {
    const r = await request(url(path), { dispatcher, headers: opts.token ? { authorization: `Bearer ${opts.token}` } : {} });
    return { status: r.statusCode, body: await r.body.text() };
  } finally {
    await dispatcher.close();
  }
}

test('anonymous and bad-token requests get 401; users without RBAC get 403; the apiserver identity gets through', async (t) => {
  t.is((await get('/pods')).status, 401);
  t.is((await get('/pods', { token: 'not-a-real-token' })).status, 401);
  const nobody = await c.pki.issueClientCert('kapi-nobody', ['kapi-nobodies']);
  const denied = await get('/exec/x/y/z', { cert: nobody.certPem, key: nobody.keyPem });
  t.is(denied.status, 403);
  t.is(denied.body, 'Forbidden (user=kapi-nobody, verb=get, resource=nodes, subresource(s)=[proxy])\n');
  t.is((await get('/healthz', admin)).body, 'ok');
});

test('a service-account token is authenticated through TokenReview and authorized through SubjectAccessReview', async (t) => {
  const core = c.kc.makeApiClient(CoreV1Api);
  await core.createNamespacedServiceAccount({ namespace: node.namespace, body: { metadata: { name: 'reader' } } });
  const tr = await core.createNamespacedServiceAccountToken({ namespace: node.namespace, name: 'reader', body: { spec: { audiences: [], expirationSeconds: 600 } } });
  const token = tr.status!.token;
  const role = `kapi-stats-${process.pid}`;
  t.is((await c.kubectl(['create', 'clusterrole', role, '--verb=get', '--resource=nodes/stats'])).code, 0);
  t.is((await c.kubectl(['create', 'clusterrolebinding', role, `--clusterrole=${role}`, `--serviceaccount=${node.namespace}:reader`])).code, 0);
  t.teardown(async () => {
    await c.kubectl(['delete', 'clusterrolebinding', role]);
    await c.kubectl(['delete', 'clusterrole', role]);
  });
  // Wait until the apiserver's RBAC cache has the binding (our server would cache an early denial for 30 s).
  // (`can-i get nodes/stats` would ask about the node named "stats": the subresource is a flag.)
  await eventually(
    'the API server to authorize the binding',
    async () => (await c.kubectl(['auth', 'can-i', 'get', 'nodes', '--subresource=stats', `--as=system:serviceaccount:${node.namespace}:reader`])).stdout.trim() === 'yes',
    30_000,
    100,
  );
  // Granted nodes/stats: allowed. Not granted nodes/pods nor nodes/proxy: 403 naming both, like the kubelet.
  const allowed = await get('/stats/summary', { token });
  t.is(allowed.status, 200, allowed.body);
  t.is((JSON.parse(allowed.body) as { node: { nodeName: string } }).node.nodeName, node.name);
  const denied = await get('/pods', { token });
  t.is(denied.status, 403);
  t.is(denied.body, `Forbidden (user=system:serviceaccount:${node.namespace}:reader, verb=get, resource=nodes, subresource(s)=[pods proxy])\n`);
});

test('/pods, /stats/summary and /metrics/resource describe the node and its pods', async (t) => {
  const pods = JSON.parse((await get('/pods', admin)).body) as { kind: string; items: { metadata: { name: string; uid: string } }[] };
  t.is(pods.kind, 'PodList');
  t.deepEqual(pods.items.map((p) => p.metadata.name), ['app']);
  const summary = JSON.parse((await get('/stats/summary', admin)).body) as {
    node: { nodeName: string; cpu: { usageCoreNanoSeconds: number }; memory: { workingSetBytes: number } };
    pods: { podRef: { name: string; uid: string }; containers: { name: string; memory: { workingSetBytes: number } }[] }[];
  };
  t.is(summary.node.nodeName, node.name);
  t.true(summary.node.cpu.usageCoreNanoSeconds > 0);
  t.is(summary.pods[0].podRef.uid, pods.items[0].metadata.uid);
  t.true(summary.pods[0].containers[0].memory.workingSetBytes > 0);
  const metrics = (await get('/metrics/resource', admin)).body;
  t.regex(metrics, /^node_cpu_usage_seconds_total [\d.e+-]+ \d+$/m);
  t.regex(metrics, new RegExp(`^container_memory_working_set_bytes\\{container="main",namespace="${node.namespace}",pod="app"\\} [1-9]\\d* \\d+$`, 'm'));
  t.regex(metrics, /^scrape_error 0$/m);
});

test('exec without an upgrade is a 400; unknown pods are 404; logs of an unknown container are 400', async (t) => {
  t.is((await get(`/exec/${node.namespace}/app/main?command=true&output=1`, admin)).status, 400);
  t.is((await get(`/containerLogs/${node.namespace}/nope/main`, admin)).status, 404);
  t.is((await get(`/containerLogs/${node.namespace}/app/nope`, admin)).status, 400);
  t.is((await get(`/containerLogs/${node.namespace}/app/main?tailLines=-3`, admin)).status, 400);
  const logs = await get(`/containerLogs/${node.namespace}/app/main`, admin);
  t.is(logs.body, 'started\n');
});

test('WebSocket port-forward (v4.channel.k8s.io): port prefix on both channels, data echoed, dial errors on the error channel', async (t) => {
  const echo = createServer((s) => s.pipe(s));
  await new Promise<void>((r) => echo.listen(0, '127.0.0.1', r));
  t.teardown(() => echo.close());
  const port = (echo.address() as AddressInfo).port;
  const closed = createServer();
  await new Promise<void>((r) => closed.listen(0, '127.0.0.1', r));
  const deadPort = (closed.address() as AddressInfo).port;
  await new Promise<void>((r) => closed.close(() => r()));

  const ws = new WebSocket(url(`/portForward/${node.namespace}/app?port=${port}&port=${deadPort}`).replace('https', 'wss'), ['v4.channel.k8s.io'], {
    cert: admin.cert,
    key: admin.key,
    rejectUnauthorized: false,
  });
  const byChannel = new Map<number, Buffer[]>();
  ws.on('message', (d: Buffer) => {
    const list = byChannel.get(d[0]) ?? [];
    list.push(d.subarray(1));
    byChannel.set(d[0], list);
  });
  await new Promise<void>((resolve, reject) => {
    ws.once('open', resolve);
    ws.once('error', reject);
  });
  t.is(ws.protocol, 'v4.channel.k8s.io');
  ws.send(Buffer.concat([Buffer.from([0]), Buffer.from('ping over ws')]));
  const text = (ch: number) => Buffer.concat(byChannel.get(ch) ?? []);
  await eventually('the echo on channel 0 and the dial error on channel 3', () => text(0).length >= 14 && text(3).length > 2, 30_000, 20);
  const le = (p: number) => Buffer.from([p & 0xff, p >> 8]);
  t.deepEqual(text(0).subarray(0, 2), le(port));
  t.deepEqual(text(1).subarray(0, 2), le(port));
  t.is(text(0).subarray(2).toString(), 'ping over ws');
  t.deepEqual(text(2).subarray(0, 2), le(deadPort));
  t.regex(text(3).subarray(2).toString(), new RegExp(`error forwarding port ${deadPort} to pod app, uid .*ECONNREFUSED`));
  ws.close();
});

function openExec(query: string, protocol: string): Promise<WebSocket> {
  const ws = new WebSocket(url(`/exec/${node.namespace}/app/main?${query}`).replace('https', 'wss'), [protocol], { cert: admin.cert, key: admin.key, rejectUnauthorized: false });
  return new Promise((resolve, reject) => {
    ws.once('open', () => resolve(ws));
    ws.once('error', reject);
  });
}

test('WebSocket exec (v5.channel.k8s.io): stdin close on channel 255 ends cat; the status arrives on channel 3', async (t) => {
  const ws = await openExec('command=cat&input=1&output=1&error=1', 'v5.channel.k8s.io');
  t.is(ws.protocol, 'v5.channel.k8s.io');
  const out: Buffer[] = [];
  let status = '';
  ws.on('message', (d: Buffer) => {
    if (d[0] === 1) out.push(d.subarray(1));
    if (d[0] === 3) status += d.subarray(1).toString();
  });
  const closed = new Promise<number>((r) => ws.once('close', r));
  ws.send(Buffer.concat([Buffer.from([0]), Buffer.from('through v5\n')]));
  ws.send(Buffer.from([255, 0]));
  t.is(await closed, 1000);
  t.is(Buffer.concat(out).toString(), 'through v5\n');
  t.is(status, '{"metadata":{},"status":"Success"}');
});

test('a client that stops reading stalls the command instead of buffering its output', async (t) => {
  const total = 48 * 1024 * 1024;
  const ws = await openExec(`command=head&command=-c&command=${total}&command=/dev/zero&output=1`, 'v4.channel.k8s.io');
  let got = 0;
  ws.on('message', (d: Buffer) => {
    if (d[0] === 1) got += d.length - 1;
  });
  const closed = new Promise<void>((r) => ws.once('close', () => r()));
  // Stop reading from the socket: TCP fills up, ws.send callbacks stop, the pipe from the process blocks.
  (ws as unknown as { _socket: { pause(): void; resume(): void } })._socket.pause();
  const sentOut = async () => (await node.server.registry.getSingleMetric('ecigw_kubelet_api_stream_bytes_total')!.get()).values.find((v) => v.labels.direction === 'out')?.value ?? 0;
  // The stall is no progress: two samples in a row (250 ms apart) in which the server reads nothing more from
  // the process (its stdout pipe paused with a full buffer) and has sent no byte more. Without backpressure
  // the command runs to its end (48 MiB sent) and the assertion below fails; if the server buffered the output
  // instead of pausing the process, the pipe would not stay paused.
  let last = -1;
  const sent = await eventually(
    'the command stalled behind the client that reads nothing',
    async () => {
      const stdout = node.backend.execs.find((e) => e.command === `head -c ${total} /dev/zero`)?.stdout;
      const blocked = stdout !== undefined && stdout.isPaused() && stdout.readableLength >= stdout.readableHighWaterMark;
      const now = await sentOut();
      const steady = blocked && now > 0 && now === last;
      last = blocked ? now : -1;
      return steady && now;
    },
    60_000,
    250,
  );
  t.true(sent < 16 * 1024 * 1024, `server pushed ${sent} bytes to a client that reads nothing`);
  (ws as unknown as { _socket: { resume(): void } })._socket.resume();
  await closed;
  t.is(got, total);
});
