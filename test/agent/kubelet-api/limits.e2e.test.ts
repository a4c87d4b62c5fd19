// Session caps and output bounds of the kubelet API, end to end: an ORDINARY user (Role: pods/exec, pods/log)
// through the REAL API server, and a direct caller of the kubelet API (a ClusterRole on nodes/proxy of this
// node only). Refusals are 429 naming the cap's config key and are counted; streams beyond the per-session
// caps get RST_STREAM REFUSED_STREAM; a peer that floods pings and reads nothing is dropped (SPDY and
// WebSocket). The kubelet API runs in a process of its own with small caps.
import test from 'ava';
import { createServer } from 'node:net';
import type { Duplex } from 'node:stream';
import type { AddressInfo } from 'node:net';
import { readFileSync } from 'node:fs';
import { Agent, request } from 'undici';
import WebSocket from 'ws';
import { useCluster, type ClusterHandle } from '../../cluster/fixture.js';
import { eventually } from '../../helpers/wait.js';
import { startTestNodeProcess, type TestNodeProcess } from './e2e-node.js';
import { RawSpdyClient, type UpgradeRefused } from './raw-spdy.js';
import { RstStatus } from '../../../agent/kubelet-api/spdy/frames.js';

let c: ClusterHandle;
let kinds: TestNodeProcess; // per-kind and per-session caps; declares WebSocket streaming
let callers: TestNodeProcess; // per-caller and total caps
let alice: { certPem: string; keyPem: string };
let bob: { certPem: string; keyPem: string };
let admin: { certPem: string; keyPem: string };
const pid = process.pid;
const aliceName = `kapi-limits-alice-${pid}`;
const bobName = `kapi-limits-bob-${pid}`;

async function kubectlOk(args: string[]): Promise<void> {
  const r = await c.kubectl(args);
  if (r.code !== 0) throw new Error(`kubectl ${args.join(' ')}: ${r.stderr}`);
}

test.before(async () => {
  c = await useCluster();
  alice = await c.pki.issueClientCert(aliceName, []);
  bob = await c.pki.issueClientCert(bobName, []);
  admin = { certPem: readFileSync(c.pki.kubeletClientCertPath, 'utf8'), keyPem: readFileSync(c.pki.kubeletClientKeyPath, 'utf8') };
  kinds = await startTestNodeProcess(c, `kapi-limits-kinds-${pid}`, true, {
    limits: { maxPerKind: { exec: 2, attach: 2, portforward: 2, logs: 1 }, maxStreamsPerSession: 8, maxPortForwardPairs: 2 },
    output: { maxQueuedBytes: 64 * 1024, stallTimeoutMs: 500 },
    streamCreationTimeoutMs: 1500,
  });
  callers = await startTestNodeProcess(c, `kapi-limits-callers-${pid}`, false, { limits: { maxSessions: 4, maxSessionsPerCaller: 3 } });
  for (const node of [kinds, callers]) {
    await node.addPod('app', [{ name: 'main', command: ['sh', '-c', 'while true; do echo tick; sleep 0.5; done'] }]);
    await kubectlOk(['create', 'role', 'exec-and-logs', '-n', node.namespace, '--verb=create,get', '--resource=pods/exec']);
    await kubectlOk(['patch', 'role', 'exec-and-logs', '-n', node.namespace, '--type=json', '-p', '[{"op":"add","path":"/rules/-","value":{"apiGroups":[""],"resources":["pods/log"],"verbs":["get"]}}]']);
    await kubectlOk(['create', 'rolebinding', 'alice', '-n', node.namespace, '--role=exec-and-logs', `--user=${aliceName}`]);
    await eventually('RBAC for alice', async () => (await c.kubectl(['auth', 'can-i', 'get', 'pods', '--subresource=log', '-n', node.namespace, `--as=${aliceName}`])).stdout.trim() === 'yes');
  }
  // bob calls the kubelet API of the callers node directly: nodes/proxy on that node only.
  await kubectlOk(['create', 'clusterrole', bobName, '--verb=get,create', '--resource=nodes/proxy', `--resource-name=${callers.name}`]);
  await kubectlOk(['create', 'clusterrolebinding', bobName, `--clusterrole=${bobName}`, `--user=${bobName}`]);
  await eventually('RBAC for bob', async () => (await c.kubectl(['auth', 'can-i', 'create', `nodes/${callers.name}`, '--subresource=proxy', `--as=${bobName}`])).stdout.trim() === 'yes');
});

test.after.always(async () => {
  await kinds?.close();
  await callers?.close();
  await c?.kubectl(['delete', 'clusterrolebinding,clusterrole', bobName, '--ignore-not-found']);
});

const viaApiServer = (node: TestNodeProcess, query: string) => ({
  url: c.server,
  path: `/api/v1/namespaces/${node.namespace}/pods/app/exec?container=main&${query}`,
  ca: c.pki.caCertPem,
  cert: alice.certPem,
  key: alice.keyPem,
});
const direct = (node: TestNodeProcess, path: string, who: { certPem: string; keyPem: string }) => ({ url: `https://127.0.0.1:${node.port}`, path, cert: who.certPem, key: who.keyPem });

/** An exec of `cat` whose streams are all open and which has echoed a line: a session that holds its slot. */
async function openCat(o: Parameters<typeof RawSpdyClient.upgrade>[0]): Promise<RawSpdyClient> {
  const s = await RawSpdyClient.upgrade(o);
  if (!(s instanceof RawSpdyClient)) throw new Error(`refused: ${s.status} ${s.body}`);
  s.send(s.syn(1, { streamType: 'error' }), s.syn(3, { streamType: 'stdin' }), s.syn(5, { streamType: 'stdout' }), s.data(3, 'up\n'));
  await s.waitFor('echo', () => s.received(5) === 'up\n');
  return s;
}

async function refused(o: Parameters<typeof RawSpdyClient.upgrade>[0]): Promise<UpgradeRefused> {
  const r = await RawSpdyClient.upgrade(o);
  if (r instanceof RawSpdyClient) {
    r.close();
    throw new Error('upgraded, expected a refusal');
  }
  return r;
}

test.serial('per kind: a third exec through the API server gets 429 naming kubelet.maxExecSessions; the slot frees when a session ends', async (t) => {
  const q = 'command=cat&stdin=true&stdout=true';
  const a = await openCat(viaApiServer(kinds, q));
  const b = await openCat(viaApiServer(kinds, q));
  const r = await refused(viaApiServer(kinds, q));
  t.is(r.status, 429, r.body);
  t.regex(r.body, /too many exec sessions on this node: 2 open, the limit is 2 \(agent config kubelet\.maxExecSessions\)/);
  t.is(await kinds.metric('ecigw_kubelet_api_sessions_refused_total', { kind: 'exec', cap: 'perKind' }), 1);
  a.close();
  const again = await eventually('a slot after one session ended', async () => {
    const s = await RawSpdyClient.upgrade(viaApiServer(kinds, q));
    return s instanceof RawSpdyClient ? s : undefined;
  });
  again.close();
  b.close();
});

test.serial('per kind: a second log stream is refused with 429 (the API server passes the status on; a direct caller also reads kubelet.maxLogStreams)', async (t) => {
  const dispatcher = new Agent({ connect: { ca: c.pki.caCertPem, cert: alice.certPem, key: alice.keyPem } });
  t.teardown(() => dispatcher.destroy());
  const path = `${c.server}/api/v1/namespaces/${kinds.namespace}/pods/app/log?container=main&follow=true`;
  const first = await request(path, { dispatcher });
  t.is(first.statusCode, 200);
  const firstLine = await new Promise<string>((r) => first.body.once('data', (b: Buffer) => r(b.toString())));
  t.regex(firstLine, /tick/);
  // The API server turns the node's 429 into its own TooManyRequests status (it keeps the code, not the text).
  const second = await request(path, { dispatcher });
  const status = (await second.body.json()) as { code: number; reason: string };
  t.is(second.statusCode, 429);
  t.is(status.reason, 'TooManyRequests');
  const directly = new Agent({ connect: { rejectUnauthorized: false, cert: admin.certPem, key: admin.keyPem } });
  t.teardown(() => directly.destroy());
  const third = await request(`https://127.0.0.1:${kinds.port}/containerLogs/${kinds.namespace}/app/main?follow=true`, { dispatcher: directly });
  t.is(third.statusCode, 429);
  t.is(third.headers['retry-after'], '1');
  t.is(await third.body.text(), 'too many log stream sessions on this node: 1 open, the limit is 1 (agent config kubelet.maxLogStreams); retry later\n');
  t.is(await kinds.metric('ecigw_kubelet_api_sessions_refused_total', { kind: 'logs', cap: 'perKind' }), 2);
  first.body.destroy();
});

test.serial('per caller, then total: a direct caller is held to kubelet.maxSessionsPerCaller; the API server keeps its share until kubelet.maxSessions', async (t) => {
  const q = 'command=cat&input=1&output=1';
  const path = `/exec/${callers.namespace}/app/main?${q}`;
  const bobs = [await openCat(direct(callers, path, bob)), await openCat(direct(callers, path, bob)), await openCat(direct(callers, path, bob))];
  const r = await refused(direct(callers, path, bob));
  t.is(r.status, 429, r.body);
  t.regex(r.body, new RegExp(`too many streaming sessions for user "${bobName}" on this node: 3 open, the limit is 3 \\(agent config kubelet\\.maxSessionsPerCaller\\)`));
  // The API server (every kubectl user, one identity) is another caller: it gets the last slot...
  const alices = await openCat(viaApiServer(callers, 'command=cat&stdin=true&stdout=true'));
  // ...and then the node is full.
  const full = await refused(viaApiServer(callers, 'command=cat&stdin=true&stdout=true'));
  t.is(full.status, 429, full.body);
  t.regex(full.body, /too many streaming sessions on this node: 4 open, the limit is 4 \(agent config kubelet\.maxSessions\)/);
  t.is(await callers.metric('ecigw_kubelet_api_sessions_refused_total', { kind: 'exec', cap: 'perCaller' }), 1);
  t.is(await callers.metric('ecigw_kubelet_api_sessions_refused_total', { kind: 'exec', cap: 'total' }), 1);
  for (const s of [...bobs, alices]) s.close();
});

test.serial('per session: forwarded connections beyond kubelet.maxPortForwardPairs and streams beyond kubelet.maxStreamsPerSession are refused; an unpaired stream is reset', async (t) => {
  const echo = createServer((s) => s.pipe(s));
  await new Promise<void>((r) => echo.listen(0, '127.0.0.1', r));
  t.teardown(() => echo.close());
  const port = String((echo.address() as AddressInfo).port);
  const pf = await RawSpdyClient.upgrade({ ...direct(kinds, `/portForward/${kinds.namespace}/app`, admin), protocols: ['portforward.k8s.io'] });
  if (!(pf instanceof RawSpdyClient)) return t.fail(`refused: ${pf.status} ${pf.body}`);
  t.teardown(() => pf.close());
  const pair = (n: number, requestID: string) => [pf.syn(n, { streamType: 'error', port, requestID }), pf.syn(n + 2, { streamType: 'data', port, requestID })];
  pf.send(...pair(1, '0'), ...pair(5, '1'), ...pair(9, '2'));
  pf.send(pf.data(3, 'first'), pf.data(7, 'second'));
  await pf.waitFor('echo on pair 0', () => pf.received(3) === 'first');
  await pf.waitFor('echo on pair 1', () => pf.received(7) === 'second');
  const third = await pf.waitFor('pair 2 refused', (f) => f.type === 'rst_stream' && f.streamId === 11);
  t.is(third.type === 'rst_stream' && third.status, RstStatus.RefusedStream);
  // 4 streams are open; unpaired error streams fill the session's 8, the next is refused at once.
  pf.send(...[13, 15, 17, 19, 21].map((id) => pf.syn(id, { streamType: 'error', port, requestID: `x${id}` })));
  const over = await pf.waitFor('stream beyond the cap refused', (f) => f.type === 'rst_stream' && f.streamId === 21);
  t.is(over.type === 'rst_stream' && over.status, RstStatus.RefusedStream);
  // The unpaired ones are reset when their partner does not come in time.
  const timedOut = await pf.waitFor('unpaired stream reset', (f) => f.type === 'rst_stream' && f.streamId === 13);
  t.is(timedOut.type === 'rst_stream' && timedOut.status, RstStatus.Cancel);
  t.true((await kinds.metric('ecigw_kubelet_api_streams_refused_total', { reason: 'maxPairs' })) >= 1);
  t.true((await kinds.metric('ecigw_kubelet_api_streams_refused_total', { reason: 'maxStreams' })) >= 1);
  t.true((await kinds.metric('ecigw_kubelet_api_streams_refused_total', { reason: 'pairTimeout' })) >= 1);
});

/**
 * Writes `chunk` up to `times` times as fast as the socket takes it: when the socket is full, waits until it
 * drains, closes or `stop()` holds (the node dropped the session); `stop()` is also asked every 10 writes.
 */
async function flood(sock: Duplex, chunk: Buffer, times: number, stop: () => Promise<boolean>): Promise<void> {
  for (let i = 0; i < times && !sock.destroyed; i++) {
    if (i % 10 === 0 && (await stop())) return;
    if (sock.write(chunk)) continue;
    const next = await eventually('the flood socket to drain, close or be dropped', async () => (!sock.writableNeedDrain && 'drained') || (sock.destroyed && 'closed') || ((await stop()) && 'dropped'), 60_000, 50);
    if (next !== 'drained') return;
  }
}

test.serial('output bound: a SPDY client that floods PINGs through the API server and reads nothing is dropped with GOAWAY', async (t) => {
  const s = await RawSpdyClient.upgrade(viaApiServer(kinds, 'command=cat&stdin=true&stdout=true'));
  if (!(s instanceof RawSpdyClient)) return t.fail(`refused: ${s.status} ${s.body}`);
  t.teardown(() => s.close());
  s.send(s.syn(1, { streamType: 'error' }), s.syn(3, { streamType: 'stdin' }), s.syn(5, { streamType: 'stdout' }));
  await s.waitFor('SYN_REPLY', (f) => f.type === 'syn_reply' && f.streamId === 5);
  s.socket.pause();
  const pings = Buffer.concat(Array.from({ length: 8192 }, (_, i) => s.encode({ type: 'ping', id: 2 * i + 1 })));
  const dropped = async () => (await kinds.metric('ecigw_kubelet_api_sessions_dropped_total', { transport: 'spdy', reason: 'output_stall' })) >= 1;
  // At most 96 MiB of pings (8 MiB of answers): the kernel buffers of two TCP hops fill first, then our bound.
  await flood(s.socket, pings, 1000, dropped);
  await eventually('session dropped for an unread output', dropped);
  t.true(kinds.alive());
  // The node still serves.
  (await openCat(viaApiServer(kinds, 'command=cat&stdin=true&stdout=true'))).close();
});

test.serial('output bound: a WebSocket client that floods pings through the API server and reads nothing is dropped', async (t) => {
  const ws = new WebSocket(`${c.server.replace('https', 'wss')}/api/v1/namespaces/${kinds.namespace}/pods/app/exec?container=main&command=cat&stdin=true&stdout=true`, ['v5.channel.k8s.io'], {
    ca: c.pki.caCertPem,
    cert: alice.certPem,
    key: alice.keyPem,
  });
  ws.on('error', () => undefined);
  t.teardown(() => ws.terminate());
  await new Promise<void>((r, j) => (ws.once('open', () => r()), ws.once('error', j)));
  t.is(await kinds.metric('ecigw_kubelet_api_sessions_total', { kind: 'exec', transport: 'websocket' }) > 0, true, 'the API server proxied WebSocket to the node');
  const sock = (ws as unknown as { _socket: import('node:tls').TLSSocket })._socket;
  sock.pause();
  const ping = Buffer.concat([Buffer.from([0x89, 0x80 | 125, 0, 0, 0, 0]), Buffer.alloc(125, 0x61)]);
  const batch = Buffer.concat(Array.from({ length: 4096 }, () => ping));
  const dropped = async () => (await kinds.metric('ecigw_kubelet_api_sessions_dropped_total', { transport: 'websocket', reason: 'output_stall' })) >= 1;
  // At most 128 MiB of pings (the same again in answers): kernel buffers of two hops, then our bound.
  await flood(sock, batch, 256, dropped);
  await eventually('WebSocket session dropped for an unread output', dropped);
  t.true(kinds.alive());
});
