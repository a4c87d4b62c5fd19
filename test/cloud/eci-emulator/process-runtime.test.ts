// Process runtime through the unmodified SDK: real processes for an init container and two containers,
// logs, exec over the WebSocket (exit codes, stdin, TTY + resize), HTTP on the group's IntranetIp,
// restart policies with back-off and PreviousState, terminal states, and no pids left after delete.
import test from 'ava';
import WebSocket from 'ws';
import { startEmulator, type EmulatorHandle } from '../../../cloud/eci-emulator/index.js';
import { $Eci, sdkClient, waitFor, type EciClient } from './sdk.js';

let h: EmulatorHandle;
let c: EciClient;
const region = 'cn-hangzhou';

test.before(async () => {
  h = await startEmulator({ runtime: 'process', config: { createLatency: { schedulingMs: 10, pendingMs: 0 }, backoff: { initialMs: 200, maxMs: 400, resetAfterMs: 600_000 }, grace: { defaultSeconds: 2, maxSeconds: 2 } } });
  c = sdkClient(h);
});
test.after.always(async () => {
  await h?.close();
});

const describe = async (id: string) =>
  (await c.describeContainerGroups(new $Eci.DescribeContainerGroupsRequest({ regionId: region, containerGroupIds: JSON.stringify([id]) }))).body.containerGroups![0];

const alive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

/** Runs an exec over the emulator's WebSocket; output is collected per channel byte (1 stdout, 2 stderr). */
async function execWs(id: string, container: string, command: string[], tty: boolean, drive: (ws: WebSocket) => void = () => undefined): Promise<{ output: string; stderr: string; code: number; reason: { exitCode: number } }> {
  const r = await c.execContainerCommand(new $Eci.ExecContainerCommandRequest({ regionId: region, containerGroupId: id, containerName: container, command: JSON.stringify(command), TTY: tty, stdin: true }));
  const ws = new WebSocket(r.body.webSocketUri!);
  const out = { 1: '', 2: '' } as Record<number, string>;
  ws.on('message', (d: Buffer) => (out[d[0]] = (out[d[0]] ?? '') + d.subarray(1).toString('utf8')));
  ws.on('open', () => drive(ws));
  return await new Promise((resolve, reject) => {
    ws.on('error', reject);
    ws.on('close', (code, reason) => resolve({ output: out[1], stderr: out[2], code, reason: JSON.parse(reason.toString() || '{}') as { exitCode: number } }));
  });
}

test.serial('init + two containers: logs, HTTP on IntranetIp, exec exit codes, stdin, TTY resize, metrics, cleanup', async (t) => {
  const r = await c.createContainerGroup(
    new $Eci.CreateContainerGroupRequest({
      regionId: region,
      containerGroupName: 'proc-main',
      volume: [{ name: 'work', type: 'EmptyDirVolume', emptyDirVolume: {} }, { name: 'cfg', type: 'ConfigFileVolume', configFileVolume: { configFileToPath: [{ path: 'app.conf', content: Buffer.from('greeting=hello\n').toString('base64') }] } }],
      initContainer: [{ name: 'prepare', image: 'busybox', command: ['/bin/sh', '-c', 'echo prepared > /work/ready; echo init-done'], volumeMount: [{ name: 'work', mountPath: '/work' }] }],
      container: [
        { name: 'web', image: 'eci-emulator/web', port: [{ port: 8080, protocol: 'TCP' }], readinessProbe: { httpGet: { path: '/', port: 8080 }, periodSeconds: 1 } },
        {
          name: 'shell',
          image: 'busybox',
          command: ['/bin/sh', '-c', 'cat /work/ready; cat /etc/app/app.conf; echo "ip=$POD_IP"; exec sleep 300'],
          environmentVar: [{ key: 'POD_IP', fieldRef: { fieldPath: 'status.podIP' } }],
          volumeMount: [{ name: 'work', mountPath: '/work' }, { name: 'cfg', mountPath: '/etc/app' }],
        },
      ],
    }),
  );
  const id = r.body.containerGroupId!;
  const g = await waitFor('Running and ready', async () => {
    const x = await describe(id);
    return x.status === 'Running' && x.containers!.every((k) => k.ready) ? x : undefined;
  });
  t.regex(g.intranetIp!, /^127\.10\.\d+\.\d+$/);
  t.not(g.intranetIp, '127.0.0.1');
  t.is(g.initContainers![0].currentState!.state, 'Terminated');
  t.is(g.initContainers![0].currentState!.exitCode, 0);

  const initLog = await c.describeContainerLog(new $Eci.DescribeContainerLogRequest({ regionId: region, containerGroupId: id, containerName: 'prepare' }));
  t.is(initLog.body.content, 'init-done\n');
  const log = await waitFor('shell log', async () => {
    const l = await c.describeContainerLog(new $Eci.DescribeContainerLogRequest({ regionId: region, containerGroupId: id, containerName: 'shell', timestamps: true }));
    return l.body.content!.includes('ip=') ? l.body.content! : undefined;
  });
  t.regex(log, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}Z prepared\n.* greeting=hello\n.* ip=127\.10\./);
  const tail = await c.describeContainerLog(new $Eci.DescribeContainerLogRequest({ regionId: region, containerGroupId: id, containerName: 'shell', tail: 1 }));
  t.is(tail.body.content, `ip=${g.intranetIp}\n`);
  const limited = await c.describeContainerLog(new $Eci.DescribeContainerLogRequest({ regionId: region, containerGroupId: id, containerName: 'shell', limitBytes: 4 }));
  t.is(limited.body.content, 'prep');

  const res = await fetch(`http://${g.intranetIp}:8080/hello`);
  t.is(res.status, 200);
  t.regex(await res.text(), /GET \/hello/);

  const three = await execWs(id, 'shell', ['/bin/sh', '-c', 'echo out; echo err >&2; exit 3'], false);
  t.is(three.code, 1000);
  t.is(three.reason.exitCode, 3);
  t.is(three.output, 'out\n', 'stdout on channel 1 only');
  t.is(three.stderr, 'err\n', 'stderr on channel 2 only');

  const cat = await execWs(id, 'shell', ['cat'], false, (ws) => {
    ws.send(Buffer.from('\x00stdin-bytes'), { binary: true });
    ws.send(JSON.stringify({ op: 'close-stdin' }));
  });
  t.is(cat.output, 'stdin-bytes');
  t.is(cat.reason.exitCode, 0);

  const tty = await execWs(id, 'shell', ['/bin/sh'], true, (ws) => {
    ws.send(JSON.stringify({ op: 'resize', cols: 100, rows: 40 }));
    setTimeout(() => ws.send(Buffer.from('\x00stty size; exit 7\n'), { binary: true }), 300);
  });
  t.regex(tty.output, /40 100/);
  t.is(tty.reason.exitCode, 7);

  const sync = await c.execContainerCommand(new $Eci.ExecContainerCommandRequest({ regionId: region, containerGroupId: id, containerName: 'shell', command: '["cat","/work/ready"]', sync: true }));
  t.is(sync.body.syncResponse, 'prepared\n');

  const m = await c.describeContainerGroupMetric(new $Eci.DescribeContainerGroupMetricRequest({ regionId: region, containerGroupId: id }));
  const web = m.body.records!.at(-1)!.containers!.find((x) => x.name === 'web')!;
  t.true(web.memory!.rss! > 1_000_000);

  const pids = h.admin.pids(id);
  t.is(pids.length, 3);
  t.true(pids.slice(1).every(alive));
  await c.deleteContainerGroup(new $Eci.DeleteContainerGroupRequest({ regionId: region, containerGroupId: id }));
  await waitFor('all pids gone', () => pids.every((p) => !alive(p)));
  await waitFor('web port closed', async () => {
    try {
      await fetch(`http://${g.intranetIp}:8080/`);
      return false;
    } catch {
      return true;
    }
  });
  t.true(pids.every((p) => !alive(p)), 'no process of the group is left');
});

test.serial('restart policy Always: a failing container restarts with back-off and keeps PreviousState and the previous log', async (t) => {
  const id = (
    await c.createContainerGroup(
      new $Eci.CreateContainerGroupRequest({ regionId: region, containerGroupName: 'proc-crash', restartPolicy: 'Always', container: [{ name: 'crash', image: 'alpine', command: ['/bin/sh', '-c', 'echo attempt; exit 2'] }] }),
    )
  ).body.containerGroupId!;
  const g = await waitFor('restartCount >= 2', async () => {
    const x = await describe(id);
    return x.containers![0].restartCount! >= 2 ? x : undefined;
  });
  t.is(g.status, 'Running');
  const prev = g.containers![0].previousState!;
  t.is(prev.state, 'Terminated');
  t.is(prev.exitCode, 2);
  t.is(prev.reason, 'Error');
  const events = (await c.describeContainerGroupEvents(new $Eci.DescribeContainerGroupEventsRequest({ regionId: region, containerGroupIds: JSON.stringify([id]) }))).body.data![0].events!;
  t.true(events.some((e) => e.reason === 'BackOff' && e.type === 'Warning' && e.count! >= 1));
  const last = await c.describeContainerLog(new $Eci.DescribeContainerLogRequest({ regionId: region, containerGroupId: id, containerName: 'crash', lastTime: true }));
  t.is(last.body.content, 'attempt\n');
  await c.deleteContainerGroup(new $Eci.DeleteContainerGroupRequest({ regionId: region, containerGroupId: id }));
});

test.serial('restart policy Never: exit 0 -> Succeeded, exit 1 -> Failed; OnFailure restarts only failures', async (t) => {
  const mk = async (name: string, policy: string, script: string) =>
    (await c.createContainerGroup(new $Eci.CreateContainerGroupRequest({ regionId: region, containerGroupName: name, restartPolicy: policy, container: [{ name: 'c', image: 'debian', command: ['/bin/sh', '-c', script] }] }))).body.containerGroupId!;
  const ok = await mk('never-ok', 'Never', 'exit 0');
  const bad = await mk('never-bad', 'Never', 'exit 1');
  const onf = await mk('onfailure-ok', 'OnFailure', 'echo done');
  const gOk = await waitFor('Succeeded', async () => ((await describe(ok)).status === 'Succeeded' ? describe(ok) : undefined));
  t.truthy(gOk.succeededTime);
  const gBad = await waitFor('Failed', async () => ((await describe(bad)).status === 'Failed' ? describe(bad) : undefined));
  t.is(gBad.containers![0].currentState!.exitCode, 1);
  const gOnf = await waitFor('OnFailure Succeeded', async () => ((await describe(onf)).status === 'Succeeded' ? describe(onf) : undefined));
  t.is(gOnf.containers![0].restartCount, 0);
  const log = await c.describeContainerLog(new $Eci.DescribeContainerLogRequest({ regionId: region, containerGroupId: onf, containerName: 'c' }));
  t.is(log.body.content, 'done\n');
  for (const id of [ok, bad, onf]) await c.deleteContainerGroup(new $Eci.DeleteContainerGroupRequest({ regionId: region, containerGroupId: id }));
});

test.serial('update restarts the changed container; RestartContainerGroup goes Restarting -> Running', async (t) => {
  const id = (
    await c.createContainerGroup(new $Eci.CreateContainerGroupRequest({ regionId: region, containerGroupName: 'proc-update', container: [{ name: 'a', image: 'busybox', command: ['/bin/sh', '-c', 'echo v1; exec sleep 300'] }, { name: 'b', image: 'busybox', command: ['sleep', '300'] }] }))
  ).body.containerGroupId!;
  await waitFor('Running', async () => (await describe(id)).status === 'Running');
  const before = h.admin.pids(id);
  await c.updateContainerGroup(new $Eci.UpdateContainerGroupRequest({ regionId: region, containerGroupId: id, updateType: 'IncrementalUpdate', container: [{ name: 'a', image: 'ubuntu', command: ['/bin/sh', '-c', 'echo v2; exec sleep 300'] }] }));
  const g = await waitFor('a restarted with v2', async () => {
    const x = await describe(id);
    const a = x.containers!.find((k) => k.name === 'a')!;
    return x.status === 'Running' && a.image === 'ubuntu' && a.currentState!.state === 'Running' ? x : undefined;
  });
  t.is(g.containers!.find((k) => k.name === 'a')!.restartCount, 1);
  t.is(g.containers!.find((k) => k.name === 'b')!.restartCount, 0);
  const after = h.admin.pids(id);
  t.not(after[0], before[0]);
  t.is(after[1], before[1]);
  const log = await waitFor('v2 log', async () => (await c.describeContainerLog(new $Eci.DescribeContainerLogRequest({ regionId: region, containerGroupId: id, containerName: 'a' }))).body.content === 'v2\n');
  t.true(log);
  await c.restartContainerGroup(new $Eci.RestartContainerGroupRequest({ regionId: region, containerGroupId: id }));
  await waitFor('Running after restart', async () => {
    const x = await describe(id);
    return x.status === 'Running' && h.admin.pids(id).every((p) => !after.includes(p)) && x.containers!.every((k) => k.currentState!.state === 'Running');
  });
  t.true(after.every((p) => !alive(p)));
  await c.deleteContainerGroup(new $Eci.DeleteContainerGroupRequest({ regionId: region, containerGroupId: id }));
});
