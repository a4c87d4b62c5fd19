// Hostile exec sessions through the REAL API server, as an ORDINARY user (a Role with pods/exec and pods/log
// in one namespace, nothing else): data after the client's own FIN on a SPDY stream, and data after a
// WebSocket v5 CLOSE of stdin. The kubelet API runs in a process of its own; each attack must end (or leave
// harmless) that session only: same pid, a session opened before still echoes, a new exec still works.
// Both node modes: SPDY only (the API server proxies SPDY, and translates WebSocket clients to SPDY) and
// ExtendWebSocketsToKubelet (the API server proxies WebSocket straight to the node).
import test from 'ava';
import WebSocket from 'ws';
import { useCluster, type ClusterHandle } from '../../cluster/fixture.js';
import { eventually } from '../../helpers/wait.js';
import { startTestNodeProcess, type TestNodeProcess } from './e2e-node.js';
import { RawSpdyClient } from './raw-spdy.js';
import { RstStatus } from '../../../agent/kubelet-api/spdy/frames.js';

const modes = [
  { mode: 'spdy', declare: false },
  { mode: 'websocket', declare: true },
] as const;

let c: ClusterHandle;
const nodes = new Map<string, TestNodeProcess>();
let alice: { certPem: string; keyPem: string };
const user = `kapi-alice-${process.pid}`;

test.before(async () => {
  c = await useCluster();
  alice = await c.pki.issueClientCert(user, []);
  for (const m of modes) {
    const node = await startTestNodeProcess(c, `kapi-attack-${m.mode}-${process.pid}`, m.declare);
    nodes.set(m.mode, node);
    await node.addPod('app', [{ name: 'main', command: ['sh', '-c', 'exec sleep 3600'] }]);
    // An ordinary user: exec and logs on pods of this namespace, nothing else.
    const role = await c.kubectl(['create', 'role', 'exec-only', '-n', node.namespace, '--verb=create,get', '--resource=pods/exec']);
    if (role.code !== 0) throw new Error(role.stderr);
    const patch = await c.kubectl(['patch', 'role', 'exec-only', '-n', node.namespace, '--type=json', '-p', '[{"op":"add","path":"/rules/-","value":{"apiGroups":[""],"resources":["pods/log"],"verbs":["get"]}}]']);
    if (patch.code !== 0) throw new Error(patch.stderr);
    const rb = await c.kubectl(['create', 'rolebinding', 'alice-exec', '-n', node.namespace, '--role=exec-only', `--user=${user}`]);
    if (rb.code !== 0) throw new Error(rb.stderr);
    await eventually('RBAC for alice', async () => (await c.kubectl(['auth', 'can-i', 'create', 'pods', '--subresource=exec', '-n', node.namespace, `--as=${user}`])).stdout.trim() === 'yes');
  }
});

test.after.always(async () => {
  for (const n of nodes.values()) await n.close();
});

function execPath(node: TestNodeProcess, query: string): string {
  return `/api/v1/namespaces/${node.namespace}/pods/app/exec?container=main&${query}`;
}

async function spdyExec(node: TestNodeProcess, query: string): Promise<RawSpdyClient> {
  const r = await RawSpdyClient.upgrade({ url: c.server, path: execPath(node, query), ca: c.pki.caCertPem, cert: alice.certPem, key: alice.keyPem });
  if (!(r instanceof RawSpdyClient)) throw new Error(`exec upgrade refused: ${(r).status} ${(r).body}`);
  return r;
}

/** A well-behaved `cat` session over SPDY (streams error=1, stdin=3, stdout=5) that echoes one line. */
async function bystander(node: TestNodeProcess): Promise<{ echo(line: string): Promise<void>; close(): void }> {
  const s = await spdyExec(node, 'command=cat&stdin=true&stdout=true');
  s.send(s.syn(1, { streamType: 'error' }), s.syn(3, { streamType: 'stdin' }), s.syn(5, { streamType: 'stdout' }));
  let expected = '';
  return {
    async echo(line) {
      expected += line;
      s.send(s.data(3, line));
      await s.waitFor(`echo of ${JSON.stringify(line)}`, () => s.received(5) === expected);
    },
    close: () => s.close(),
  };
}

/** A fresh exec runs to completion: `echo` through SPDY, the v4 Success status on the error stream. */
async function freshExecWorks(node: TestNodeProcess): Promise<string> {
  const s = await spdyExec(node, 'command=echo&command=fresh&stdout=true');
  s.send(s.syn(1, { streamType: 'error' }), s.syn(3, { streamType: 'stdout' }));
  await s.waitFor('exec status', (f) => f.type === 'data' && f.streamId === 1 && f.data.length > 0);
  const out = s.received(3);
  const status = s.received(1);
  s.close();
  return `${out}|${status}`;
}

for (const { mode } of modes) {
  test.serial(`${mode} node: SPDY stdin opened with FIN then DATA on it is refused with RST_STREAM; the node process and its other sessions go on`, async (t) => {
    const node = nodes.get(mode)!;
    const other = await bystander(node);
    await other.echo('before\n');

    const attack = await spdyExec(node, 'command=cat&stdin=true&stdout=true&stderr=true');
    t.is(attack.protocol, 'v4.channel.k8s.io');
    // stdin is half-closed by its SYN_STREAM, then written to, before the other streams exist.
    attack.send(attack.syn(1, { streamType: 'error' }), attack.syn(3, { streamType: 'stdin' }, true), attack.data(3, 'data after my own FIN'));
    attack.send(attack.syn(5, { streamType: 'stdout' }), attack.syn(7, { streamType: 'stderr' }), attack.data(3, 'and more'));
    const rst = await attack.waitFor('RST_STREAM of stdin', (f) => f.type === 'rst_stream' && f.streamId === 3);
    t.is(rst.type === 'rst_stream' && rst.status, RstStatus.StreamAlreadyClosed);

    t.true(node.alive(), 'the node process is still running');
    t.is(node.child.pid, node.pid);
    await other.echo('after\n');
    t.is(await freshExecWorks(node), 'fresh\n|{"metadata":{},"status":"Success"}');
    t.true((await node.metric('ecigw_kubelet_api_protocol_violations_total', { kind: 'data_after_fin' })) >= 1);
    attack.close();
    other.close();
  });

  test.serial(`${mode} node: WebSocket v5 data on stdin after its CLOSE is dropped; the node process and its other sessions go on`, async (t) => {
    const node = nodes.get(mode)!;
    const other = await bystander(node);
    await other.echo('before\n');
    const wsBefore = await node.metric('ecigw_kubelet_api_sessions_total', { kind: 'exec', transport: 'websocket' });

    const ws = new WebSocket(`${c.server.replace('https', 'wss')}${execPath(node, 'command=cat&stdin=true&stdout=true&stderr=true')}`, ['v5.channel.k8s.io'], {
      ca: c.pki.caCertPem,
      cert: alice.certPem,
      key: alice.keyPem,
    });
    const out: Buffer[] = [];
    let status = '';
    ws.on('message', (d: Buffer) => {
      if (d[0] === 1) out.push(d.subarray(1));
      if (d[0] === 3) status += d.subarray(1).toString();
    });
    const closed = new Promise<number>((r) => ws.once('close', r));
    await new Promise<void>((resolve, reject) => {
      ws.once('open', resolve);
      ws.once('error', reject);
    });
    t.is(ws.protocol, 'v5.channel.k8s.io');
    // Data, CLOSE of stdin, then more data on stdin: one TCP write, so the server parses them back to back.
    const sock = (ws as unknown as { _socket: { cork(): void; uncork(): void } })._socket;
    sock.cork();
    ws.send(Buffer.concat([Buffer.from([0]), Buffer.from('kept\n')]));
    ws.send(Buffer.from([255, 0]));
    for (let i = 0; i < 20; i++) ws.send(Buffer.concat([Buffer.from([0]), Buffer.from(`after close ${i}\n`)]));
    sock.uncork();
    t.is(await closed, 1000);
    t.is(Buffer.concat(out).toString(), 'kept\n');
    t.is(status, '{"metadata":{},"status":"Success"}');
    // Which transport reached the node: WebSocket when it declares ExtendWebSocketsToKubelet, else translated to SPDY.
    const wsAfter = await node.metric('ecigw_kubelet_api_sessions_total', { kind: 'exec', transport: 'websocket' });
    t.is(wsAfter - wsBefore, mode === 'websocket' ? 1 : 0);

    t.true(node.alive(), 'the node process is still running');
    await other.echo('after\n');
    t.is(await freshExecWorks(node), 'fresh\n|{"metadata":{},"status":"Success"}');
    other.close();
  });
}
