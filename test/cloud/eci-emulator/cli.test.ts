// The CLI as users run it: bin/eci-emulator.js prints one "listening on" line, serves the SDK, and on SIGTERM
// stops every container process it started; a bad option exits 2 naming the field.
import test from 'ava';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { $Eci, sdkClient, waitFor } from './sdk.js';

const BIN = fileURLToPath(new URL('../../../bin/eci-emulator.js', import.meta.url));
const alive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

test('bad options and config fields exit 2 with a message naming them', async (t) => {
  const run = async (args: string[]) => {
    const p = spawn(process.execPath, [BIN, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let err = '';
    p.stderr.on('data', (d) => (err += d));
    const [code] = (await once(p, 'exit')) as [number | null];
    return { code, err };
  };
  const port = await run(['--port', 'abc']);
  t.is(port.code, 2);
  t.regex(port.err, /--port/);
  const runtime = await run(['--runtime', 'docker']);
  t.is(runtime.code, 2);
  t.regex(runtime.err, /--runtime/);
  const unknown = await run(['--frobnicate']);
  t.is(unknown.code, 2);
});

test('starts, prints one listening line, serves the SDK, and SIGTERM kills its containers', async (t) => {
  const p = spawn(process.execPath, [BIN, '--port', '0', '--access-key-id', 'AKCLI', '--access-key-secret', 'SKCLI'], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, LOG_LEVEL: 'silent' } });
  t.teardown(() => {
    if (p.exitCode === null) p.kill('SIGKILL');
  });
  let out = '';
  p.stdout.on('data', (d) => (out += d));
  const url = await waitFor<string>('listening line', () => /listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(out)?.[1]);
  const endpoint = url.replace('http://', '');
  const c = sdkClient({ endpoint, accessKeyId: 'AKCLI', accessKeySecret: 'SKCLI', regionId: 'cn-hangzhou' });
  const id = (
    await c.createContainerGroup(new $Eci.CreateContainerGroupRequest({ regionId: 'cn-hangzhou', containerGroupName: 'cli', container: [{ name: 'web', image: 'nginx', port: [{ port: 8081 }] }] }))
  ).body.containerGroupId!;
  const ip = await waitFor('running', async () => {
    const g = (await c.describeContainerGroups(new $Eci.DescribeContainerGroupsRequest({ regionId: 'cn-hangzhou', containerGroupIds: JSON.stringify([id]) }))).body.containerGroups![0];
    return g.status === 'Running' ? g.intranetIp : undefined;
  });
  t.is(await waitFor('web answers', async () => (await fetch(`http://${ip}:8081/`)).status), 200);
  const adminToken = /adminToken=([^,)\s]+)/.exec(out)?.[1];
  t.truthy(adminToken, 'the listening line names the generated admin token');
  t.is((await fetch(`${url}/__admin/stats`)).status, 401, 'the admin API refuses a call without the token');
  const stats = (await (await fetch(`${url}/__admin/stats`, { headers: { authorization: `Bearer ${adminToken}` } })).json()) as { callsByAction: Record<string, number> };
  t.is(stats.callsByAction.CreateContainerGroup, 1);
  p.kill('SIGTERM');
  const [code] = (await once(p, 'exit')) as [number | null];
  t.is(code, 0);
  t.is(out.trim().split('\n').length, 1);
  await t.throwsAsync(fetch(`http://${ip}:8081/`));
  t.false(alive(p.pid!));
});
