// createEciSessions against the ECI emulator's process runtime through the unmodified SDK: exec (stdin, exit
// code, TTY resize), attach rejection, logs (tail/since/timestamps/limit/previous/follow), port-forward (HTTP,
// parallel, half-close, refused), cached stats, and aborted sessions leaving no sockets, processes or listeners.
import test from 'ava';
import { createServer, connect, type Server, type Socket } from 'node:net';
import { get as httpGet } from 'node:http';
import { execFileSync } from 'node:child_process';
import { getEventListeners } from 'node:events';
import { PassThrough, Readable, Writable } from 'node:stream';
import { randomBytes } from 'node:crypto';
import { startEmulator, type EmulatorHandle } from '../../../../cloud/eci-emulator/index.js';
import { eventually } from '../../../helpers/wait.js';
import { newEciClient, runtimeOptions, $Eci, type EciClient } from '../../../../cloud/eci/sdk.js';
import type { EciAction, EciCaller } from '../../../../cloud/eci/api.js';
import { TAG_CLUSTER_ID, TAG_NAMESPACE, TAG_POD_NAME, TAG_POD_UID } from '../../../../cloud/eci/mapping/names.js';
import { createEciSessions, type EciSessions, type ResolvedGroup } from '../../../../cloud/eci/sessions/index.js';
import { ProviderError, type ExecRequest, type LogsRequest, type TenantScope } from '../../../../cloud/pod-provider/provider.js';

const scope: TenantScope = {
  tenantId: 't1',
  clusterId: 'c1',
  tenant: { id: 't1', region: 'cn-hangzhou', credentialsRef: 'x', vSwitchId: 'vsw-1', securityGroupId: 'sg-1', tags: {}, quotas: { maxPods: 10 }, clusterIds: ['c1'] },
};

let emu: EmulatorHandle;
let client: EciClient;
let sessions: EciSessions;
const calls = new Map<EciAction, number>();
const caller = (): EciCaller => ({
  regionId: emu.regionId,
  call: (action, fn) => {
    calls.set(action, (calls.get(action) ?? 0) + 1);
    return fn(client, runtimeOptions(5000));
  },
});

async function resolveGroup(_s: TenantScope, uid: string): Promise<ResolvedGroup | undefined> {
  const res = await client.describeContainerGroupsWithOptions(
    new $Eci.DescribeContainerGroupsRequest({ regionId: emu.regionId, tag: [new $Eci.DescribeContainerGroupsRequestTag({ key: TAG_POD_UID, value: uid })] }),
    runtimeOptions(5000),
  );
  const g = res.body?.containerGroups?.[0];
  if (!g) return undefined;
  return { groupId: g.containerGroupId!, intranetIp: g.intranetIp ?? '', containers: (g.containers ?? []).map((c) => c.name!), status: g.status! };
}

interface ContainerDef { name: string; image: string; command?: string[]; ports?: number[] }
async function createGroup(uid: string, containers: ContainerDef[], restartPolicy = 'Always'): Promise<void> {
  await client.createContainerGroupWithOptions(
    new $Eci.CreateContainerGroupRequest({
      regionId: emu.regionId,
      containerGroupName: `g-${uid}`,
      restartPolicy,
      securityGroupId: 'sg-1',
      vSwitchId: 'vsw-1',
      tag: [
        new $Eci.CreateContainerGroupRequestTag({ key: TAG_CLUSTER_ID, value: scope.clusterId }),
        new $Eci.CreateContainerGroupRequestTag({ key: TAG_NAMESPACE, value: 'default' }),
        new $Eci.CreateContainerGroupRequestTag({ key: TAG_POD_NAME, value: `pod-${uid}` }),
        new $Eci.CreateContainerGroupRequestTag({ key: TAG_POD_UID, value: uid }),
      ],
      container: containers.map(
        (c) =>
          new $Eci.CreateContainerGroupRequestContainer({
            name: c.name,
            image: c.image,
            command: c.command,
            port: (c.ports ?? []).map((p) => new $Eci.CreateContainerGroupRequestContainerPort({ port: p, protocol: 'TCP' })),
          }),
      ),
    }),
    runtimeOptions(5000),
  );
}

const waitFor = <T>(what: string, fn: () => Promise<T | undefined | false> | T | undefined | false, timeoutMs = 15_000): Promise<T> => eventually(what, fn, timeoutMs, 100);

const COUNTER = 'i=0; while :; do i=$((i+1)); echo line-$i; sleep 0.1; done';
const ONE_SHOT = 'echo boot-$(date +%s%N); sleep 0.3; exit 1';

test.before(async () => {
  emu = await startEmulator({ runtime: 'process', config: { createLatency: { schedulingMs: 0, pendingMs: 0 }, backoff: { initialMs: 200, maxMs: 400, resetAfterMs: 60_000 } } });
  client = newEciClient({ endpoint: emu.endpoint, protocol: 'http', regionId: emu.regionId, accessKeyId: emu.accessKeyId, accessKeySecret: emu.accessKeySecret, timeoutMs: 5000 });
  sessions = createEciSessions({ callerFor: caller, resolveGroup, logPollMs: 200, metricsCacheMs: 60_000, limits: { logPollMaxMs: 400 } });
  await createGroup('counter', [{ name: 'app', image: 'busybox', command: ['sh', '-c', COUNTER] }]);
  await createGroup('two', [{ name: 'a', image: 'busybox', command: ['sleep', '300'] }, { name: 'b', image: 'busybox', command: ['sleep', '300'] }]);
  await createGroup('web', [{ name: 'web', image: 'eci-emulator/web', ports: [18080] }]);
  await createGroup('crashy', [{ name: 'app', image: 'busybox', command: ['sh', '-c', ONE_SHOT] }]);
  for (const uid of ['counter', 'two', 'web']) await waitFor(`${uid} running`, async () => (await resolveGroup(scope, uid))?.status === 'Running');
  const webIp = (await resolveGroup(scope, 'web'))!.intranetIp;
  await waitFor('web server listening', () => new Promise<boolean>((r) => connect({ host: webIp, port: 18080 }).on('connect', function (this: Socket) { this.destroy(); r(true); }).on('error', () => r(false))));
});
test.after.always(async () => {
  await emu?.close();
});

// ---- helpers ----
class Collect extends Writable {
  chunks: Buffer[] = [];
  override _write(c: Buffer, _e: BufferEncoding, cb: () => void) {
    this.chunks.push(c);
    cb();
  }
  get text() {
    return Buffer.concat(this.chunks).toString('utf8');
  }
}
const execReq = (over: Partial<ExecRequest>): ExecRequest => ({ namespace: 'default', podName: 'p', podUid: 'counter', container: '', command: [], tty: false, stdin: false, stdout: true, stderr: true, ...over });
const logsReq = (over: Partial<LogsRequest>): LogsRequest => ({ namespace: 'default', podName: 'p', podUid: 'counter', container: 'app', follow: false, sinceTime: '', timestamps: false, previous: false, ...over });
const tcpSockets = () => process.getActiveResourcesInfo().filter((r) => r === 'TCPSocketWrap').length;
async function providerError(p: Promise<unknown>): Promise<ProviderError> {
  try {
    await p;
  } catch (e) {
    if (e instanceof ProviderError) return e;
    throw e;
  }
  throw new Error('expected a ProviderError');
}

// ---- exec / attach ----

test('exec pipes stdin, returns output and propagates exit code 3', async (t) => {
  const stdin = new PassThrough();
  const out = new Collect();
  const err = new Collect();
  const ac = new AbortController();
  const p = sessions.exec(scope, execReq({ command: ['sh', '-c', 'cat; echo done-$((1+1)) >&2; exit 3'], stdin: true }), { stdin, stdout: out, stderr: err, resize: new PassThrough({ objectMode: true }), signal: ac.signal });
  stdin.write('hello ');
  stdin.end('world\n');
  const st = await p;
  t.like(st, { code: 3, reason: 'NonZeroExitCode' });
  t.is(out.text, 'hello world\n', 'stdout carries stdout only');
  t.is(err.text, 'done-2\n', 'stderr arrives on stderr');
  t.is(getEventListeners(ac.signal, 'abort').length, 0, 'no abort listener left behind');
});

test('exec is byte-exact both ways: random binary stdin comes back on stdout untouched while stderr speaks', async (t) => {
  const data = randomBytes(3 << 20);
  const out = new Collect();
  const err = new Collect();
  const st = await sessions.exec(scope, execReq({ command: ['sh', '-c', 'echo before >&2; cat; echo after >&2'], stdin: true }), { stdin: Readable.from([data.subarray(0, 1 << 20), data.subarray(1 << 20)]), stdout: out, stderr: err, resize: new PassThrough({ objectMode: true }), signal: new AbortController().signal });
  t.like(st, { code: 0 });
  const got = Buffer.concat(out.chunks);
  t.is(got.length, data.length);
  t.true(got.equals(data), 'stdout is exactly the bytes sent');
  t.is(err.text, 'before\nafter\n');
});

test('exec asked for stdout only: stderr is dropped, never mixed into stdout', async (t) => {
  const out = new Collect();
  const err = new Collect();
  const st = await sessions.exec(scope, execReq({ command: ['sh', '-c', 'echo out; echo err >&2; echo out2'], stderr: false }), { stdin: null, stdout: out, stderr: err, resize: new PassThrough({ objectMode: true }), signal: new AbortController().signal });
  t.like(st, { code: 0 });
  t.is(out.text, 'out\nout2\n');
  t.is(err.text, '', 'the stderr sink was not asked for and got nothing');
});

test('exec with a TTY: a resize reaches the process (stty size)', async (t) => {
  const stdin = new PassThrough();
  const out = new Collect();
  const resize = new PassThrough({ objectMode: true });
  // The shell prints the terminal size for every line it reads, and exits on "q".
  const p = sessions.exec(scope, execReq({ command: ['sh', '-c', 'echo ready; while read x; do [ "$x" = q ] && exit 0; echo "size $(stty size)"; done'], tty: true, stdin: true, stderr: false }), { stdin, stdout: out, stderr: new Collect(), resize, signal: new AbortController().signal });
  // The emulator's pty helper sets the initial size after fork, so a resize is sent once the shell runs.
  await waitFor('shell ready', () => out.text.includes('ready'));
  stdin.write('\n');
  const initial = await waitFor('the initial size', () => /size (\d+ \d+)/.exec(out.text)?.[1]);
  t.not(initial, '45 123');
  resize.write({ cols: 123, rows: 45 });
  // Ask again until the process sees the new size (the resize travels apart from stdin).
  await waitFor('the process to see 45 rows, 123 columns', () => (stdin.write('\n'), /size 45 123/.test(out.text)));
  stdin.write('q\n');
  const st = await p;
  t.is(st.code, 0);
  t.regex(out.text, /size 45 123/);
});

test('exec/attach reject bad input with clear errors', async (t) => {
  const io = { stdin: null, stdout: new Collect(), stderr: new Collect(), resize: new PassThrough({ objectMode: true }), signal: new AbortController().signal };
  t.is((await providerError(sessions.exec(scope, execReq({ command: ['true'], podUid: 'nope' }), io))).code, 'NOT_FOUND');
  t.is((await providerError(sessions.exec(scope, execReq({ command: ['true'], container: 'zzz' }), io))).code, 'NOT_FOUND');
  const many = await providerError(sessions.exec(scope, execReq({ command: Array.from({ length: 21 }, () => 'x') }), io));
  t.is(many.code, 'INVALID_ARGUMENT');
  t.is((await providerError(sessions.exec(scope, execReq({ command: ['x'.repeat(257)] }), io))).code, 'INVALID_ARGUMENT');
  const which = await providerError(sessions.exec(scope, execReq({ command: ['true'], podUid: 'two' }), io));
  t.is(which.code, 'INVALID_ARGUMENT');
  t.regex(which.message, /choose one of: \[a b\]/);
  const attach = await providerError(sessions.attach(scope, execReq({ container: 'app', stdin: true }), { ...io, stdin: new PassThrough() }));
  t.is(attach.code, 'FAILED_PRECONDITION');
  t.regex(attach.message, /attach with stdin or a TTY is not supported for ECI pods.*kubectl attach without -i\/-t/);
  t.is((await providerError(sessions.attach(scope, execReq({ container: 'app', tty: true }), io))).code, 'FAILED_PRECONDITION');
  t.is((await providerError(sessions.attach(scope, execReq({ container: 'app', stdout: false, stderr: false }), io))).code, 'INVALID_ARGUMENT');
});

test('output-only attach streams what the container writes from now on, until the client leaves', async (t) => {
  const before = new Collect();
  await sessions.logs(scope, logsReq({ tailLines: 1 }), before, new AbortController().signal);
  const last = numbers(before.text)[0];
  const out = new Collect();
  const ac = new AbortController();
  const io = { stdin: null, stdout: out, stderr: new Collect(), resize: new PassThrough({ objectMode: true }), signal: ac.signal };
  const p = sessions.attach(scope, execReq({ container: 'app' }), io);
  await waitFor('three attached lines', () => numbers(out.text).length >= 3);
  ac.abort();
  t.deepEqual(await p, { code: 0, reason: '', message: '' });
  const ns = numbers(out.text);
  t.true(contiguous(ns), `no gap or duplicate: ${ns.join(',')}`);
  t.true(ns[0] >= last, `starts at the present (line ${ns[0]}), not at the start of the log (was at ${last})`);
});

// ---- logs ----

const numbers = (text: string) => [...text.matchAll(/line-(\d+)/g)].map((m) => Number(m[1]));
const contiguous = (ns: number[]) => ns.every((n, i) => i === 0 || n === ns[i - 1] + 1);

test('logs: tail, timestamps, limit_bytes, since_seconds', async (t) => {
  await waitFor('20 lines', async () => {
    const s = new Collect();
    await sessions.logs(scope, logsReq({}), s, new AbortController().signal);
    return numbers(s.text).length >= 20;
  });
  const tail = new Collect();
  await sessions.logs(scope, logsReq({ tailLines: 3 }), tail, new AbortController().signal);
  t.is(numbers(tail.text).length, 3);
  t.true(contiguous(numbers(tail.text)));
  t.regex(tail.text, /^(line-\d+\n){3}$/);

  const ts = new Collect();
  await sessions.logs(scope, logsReq({ tailLines: 2, timestamps: true }), ts, new AbortController().signal);
  t.regex(ts.text, /^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d+Z line-\d+\n){2}$/);

  const lim = new Collect();
  await sessions.logs(scope, logsReq({ limitBytes: 7 }), lim, new AbortController().signal);
  t.is(lim.text, 'line-1\n');

  const all = new Collect();
  await sessions.logs(scope, logsReq({}), all, new AbortController().signal);
  const since = new Collect();
  await sessions.logs(scope, logsReq({ sinceSeconds: 1 }), since, new AbortController().signal);
  const n = numbers(since.text).length;
  t.true(n > 0 && n < numbers(all.text).length, `since 1s gave ${n} lines`);

  const zero = new Collect();
  await sessions.logs(scope, logsReq({ tailLines: 0 }), zero, new AbortController().signal);
  t.is(zero.text, '');
});

test('logs: previous shows the last terminated instance', async (t) => {
  await waitFor('crashy restarted', async () => {
    const r = await client.describeContainerGroupsWithOptions(new $Eci.DescribeContainerGroupsRequest({ regionId: emu.regionId, tag: [new $Eci.DescribeContainerGroupsRequestTag({ key: TAG_POD_UID, value: 'crashy' })] }), runtimeOptions(5000));
    return (r.body?.containerGroups?.[0]?.containers?.[0]?.restartCount ?? 0) >= 1;
  });
  const prev = new Collect();
  await sessions.logs(scope, logsReq({ podUid: 'crashy', previous: true }), prev, new AbortController().signal);
  t.regex(prev.text, /^boot-\d+\n$/);
});

test('logs -f: every line exactly once across many polls, then a clean stop on abort', async (t) => {
  const sink = new Collect();
  const ac = new AbortController();
  const p = sessions.logs(scope, logsReq({ follow: true, tailLines: 2 }), sink, ac.signal);
  await waitFor('follow to cover 25 new lines', () => numbers(sink.text).length >= 27, 20_000);
  ac.abort();
  await p;
  const ns = numbers(sink.text);
  t.true(contiguous(ns), `sequence has a gap or duplicate: ${ns.join(',')}`);
  t.regex(sink.text, /^(line-\d+\n)+$/, 'timestamps were stripped');
  t.is(getEventListeners(ac.signal, 'abort').length, 0);
});

test('logs -f honours limit_bytes across polls and ends by itself', async (t) => {
  const sink = new Collect();
  await sessions.logs(scope, logsReq({ follow: true, tailLines: 0, limitBytes: 40 }), sink, new AbortController().signal);
  t.is(Buffer.byteLength(sink.text), 40);
  t.true(contiguous(numbers(sink.text)));
});

// ---- port-forward ----

/** A local TCP listener whose connections are port-forwarded to the pod (the agent side of the tunnel). */
async function forwarder(uid: string, port: number): Promise<{ port: number; server: Server; done: Array<Promise<unknown>>; aborts: AbortController[] }> {
  const done: Array<Promise<unknown>> = [];
  const aborts: AbortController[] = [];
  const server = createServer({ allowHalfOpen: true }, (sock: Socket) => {
    const ac = new AbortController();
    aborts.push(ac);
    done.push(sessions.portForward(scope, { namespace: 'default', podName: 'p', podUid: uid, port }, sock, ac.signal).catch((e: unknown) => {
        sock.destroy();
        return e;
      }),
    );
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { port: (server.address() as { port: number }).port, server, done, aborts };
}
const fetchText = (port: number, path: string) =>
  new Promise<string>((resolve, reject) => {
    httpGet({ host: '127.0.0.1', port, path, agent: false }, (res) => {
      const parts: Buffer[] = [];
      res.on('data', (c: Buffer) => parts.push(c));
      res.on('end', () => resolve(Buffer.concat(parts).toString()));
    }).on('error', reject);
  });

test('port-forward: HTTP GETs over several parallel connections, and half-close toward the pod', async (t) => {
  const f = await forwarder('web', 18080);
  t.teardown(() => f.server.close());
  const bodies = await Promise.all(Array.from({ length: 6 }, (_, i) => fetchText(f.port, `/p${i}`)));
  bodies.forEach((b, i) => t.regex(b, new RegExp(`eci-emulator web: .* GET /p${i}`)));
  // Half-close: send the request and FIN at once; the answer must still come back before the pod's FIN.
  const raw = await new Promise<string>((resolve, reject) => {
    const s = connect({ host: '127.0.0.1', port: f.port, allowHalfOpen: true }, () => s.end('GET /half HTTP/1.0\r\nHost: x\r\n\r\n'));
    const parts: Buffer[] = [];
    s.on('data', (c: Buffer) => parts.push(c));
    s.on('end', () => (s.destroy(), resolve(Buffer.concat(parts).toString())));
    s.on('error', reject);
  });
  t.regex(raw, /^HTTP\/1\.[01] 200[\s\S]*GET \/half/);
  const results = await Promise.all(f.done);
  t.deepEqual(results, results.map(() => undefined), 'every forward ended cleanly');
});

test('port-forward to a closed port fails with a clear error', async (t) => {
  const f = await forwarder('web', 18081);
  t.teardown(() => f.server.close());
  await t.throwsAsync(fetchText(f.port, '/'));
  await waitFor('forward to finish', () => f.done.length === 1);
  const err = (await f.done[0]) as ProviderError;
  t.true(err instanceof ProviderError);
  t.is(err.code, 'FAILED_PRECONDITION');
  t.regex(err.message, /connection refused/);
});

// ---- stats ----

test('stats: concurrent calls within the cache window make one listing and one metric call', async (t) => {
  calls.clear();
  const results = await Promise.all(Array.from({ length: 8 }, () => sessions.stats(scope, [])));
  t.is(calls.get('DescribeMultiContainerGroupMetric'), 1);
  t.is(calls.get('DescribeContainerGroups'), 1);
  const again = await sessions.stats(scope, ['counter', 'web', 'unknown-uid']);
  t.is(calls.get('DescribeMultiContainerGroupMetric'), 1, 'served from the cache');
  t.deepEqual(again.map((p) => p.uid).sort(), ['counter', 'web']);
  const counter = results[0].find((p) => p.uid === 'counter')!;
  t.like(counter, { namespace: 'default', name: 'pod-counter' });
  t.is(counter.containers[0].name, 'app');
  t.true(counter.containers[0].memoryWorkingSetBytes > 0);
  t.true(Number.isFinite(Date.parse(counter.time)));
});

// ---- aborts leave nothing behind ----

test('aborted exec, follow and port-forward leave no sockets, processes or listeners', async (t) => {
  await sessions.stats(scope, []); // warm the SDK's keep-alive connection
  const before = tcpSockets();
  const ac = new AbortController();
  const out = new Collect();
  const stdin = new PassThrough();
  const exec = sessions.exec(scope, execReq({ command: ['sleep', '31.5'], stdin: true }), { stdin, stdout: out, stderr: new Collect(), resize: new PassThrough({ objectMode: true }), signal: ac.signal });
  const followed = new Collect();
  const follow = sessions.logs(scope, logsReq({ follow: true, tailLines: 1 }), followed, ac.signal);
  const f = await forwarder('web', 18080);
  t.teardown(() => f.server.close());
  const client = connect({ host: '127.0.0.1', port: f.port });
  await waitFor('forward established', () => f.done.length === 1);
  await waitFor('exec process running', () => execFileSync('ps', ['-eo', 'args']).toString().includes('sleep 31.5'));
  await waitFor('logs -f streaming', () => followed.text.includes('line-'));
  ac.abort();
  f.aborts[0].abort();
  const st = await exec;
  t.is(st.reason, 'SessionAborted');
  await follow;
  t.is(await f.done[0], undefined);
  client.destroy();
  t.is(getEventListeners(ac.signal, 'abort').length, 0);
  t.is(stdin.listenerCount('data'), 0);
  await waitFor('exec process killed', () => !execFileSync('ps', ['-eo', 'args']).toString().includes('sleep 31.5'));
  await waitFor(`TCP sockets back to ${before}`, () => tcpSockets() <= before);
  t.true(tcpSockets() <= before, 'no socket left behind');
});
