// Conformance: the unmodified @alicloud/eci20180808 SDK against the emulator (simulated runtime): every action,
// the error paths (signature, timestamp, nonce replay, throttling, validation, unknown group, region), paging,
// idempotent create, faults, stock-out and quotas. Replays use the SDK's own captured request bytes.
import test from 'ava';
import { createServer, request, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { startEmulator, type EmulatorHandle } from '../../../cloud/eci-emulator/index.js';
import { $Eci, sdkClient, sdkError, waitFor, type EciClient } from './sdk.js';

let h: EmulatorHandle;
let c: EciClient;
const region = 'cn-hangzhou';

test.before(async () => {
  // The suite calls the SDK back to back with no client-side pacing and creates well over ECI's Create/Delete
  // burst of 100 within seconds: that shared bucket is lifted here (limits.test.ts covers it).
  h = await startEmulator({ runtime: 'simulated', regions: ['cn-hangzhou', 'cn-shanghai'], config: { createLatency: { schedulingMs: 20, pendingMs: 0 }, rateLimits: { CreateDeleteContainerGroup: null } } });
  c = sdkClient(h);
});
test.after.always(async () => {
  await h?.close();
});

const create = (name: string, extra: Record<string, unknown> = {}) =>
  c.createContainerGroup(
    new $Eci.CreateContainerGroupRequest({
      regionId: region,
      containerGroupName: name,
      container: [{ name: 'app', image: 'busybox', command: ['sleep', '3600'], environmentVar: [{ key: 'A', value: 'x y=z&' }], port: [{ port: 80, protocol: 'TCP' }] }],
      tag: [{ key: 'suite', value: 'conformance' }],
      ...extra,
    }),
  );

test.serial('create, describe by id/name/tag/status, status, events, delete', async (t) => {
  const r = await create('conf-a', { tag: [{ key: 'suite', value: 'conformance' }, { key: 'PodName', value: 'a' }] });
  t.is(r.statusCode, 200);
  const id = r.body.containerGroupId!;
  t.regex(id, /^eci-[a-z0-9]{20}$/);
  t.truthy(r.body.requestId);
  const running = await waitFor('Running', async () => {
    const d = await c.describeContainerGroups(new $Eci.DescribeContainerGroupsRequest({ regionId: region, containerGroupIds: JSON.stringify([id]) }));
    const g = d.body.containerGroups![0];
    return g?.status === 'Running' ? g : undefined;
  });
  t.regex(running.intranetIp!, /^127\.10\./);
  t.is(running.containers![0].environmentVars![0].value, 'x y=z&');
  t.is(running.containers![0].currentState!.state, 'Running');
  t.deepEqual(running.tags!.map((x) => x.key), ['suite', 'PodName']);
  const byName = await c.describeContainerGroups(new $Eci.DescribeContainerGroupsRequest({ regionId: region, containerGroupName: 'conf-a' }));
  t.is(byName.body.totalCount, 1);
  const byTag = await c.describeContainerGroups(new $Eci.DescribeContainerGroupsRequest({ regionId: region, tag: [{ key: 'PodName', value: 'a' }] }));
  t.deepEqual(byTag.body.containerGroups!.map((g) => g.containerGroupId), [id]);
  const byStatus = await c.describeContainerGroups(new $Eci.DescribeContainerGroupsRequest({ regionId: region, status: 'Succeeded' }));
  t.false(byStatus.body.containerGroups!.some((g) => g.containerGroupId === id));

  const st = await c.describeContainerGroupStatus(new $Eci.DescribeContainerGroupStatusRequest({ regionId: region, containerGroupIds: JSON.stringify([id]) }));
  const data = st.body.data![0];
  t.is(data.status, 'Running');
  t.is(data.podStatus!.phase, 'Running');
  t.is(data.name, 'a');
  t.truthy(data.uuid);
  t.truthy(data.podStatus!.containerStatuses![0].state!.running!.startedAtstartedAt);
  t.true(data.podStatus!.conditions!.some((x) => x.type === 'Ready' && x.status === 'True'));

  const ev = await c.describeContainerGroupEvents(new $Eci.DescribeContainerGroupEventsRequest({ regionId: region, containerGroupIds: JSON.stringify([id]) }));
  const reasons = ev.body.data![0].events!.map((e) => e.reason);
  t.true(reasons.includes('Scheduled'));
  t.true(reasons.includes('Started'));
  t.is(ev.body.data![0].events![0].involvedObject!.kind, 'Pod');

  await c.deleteContainerGroup(new $Eci.DeleteContainerGroupRequest({ regionId: region, containerGroupId: id }));
  const gone = await c.describeContainerGroups(new $Eci.DescribeContainerGroupsRequest({ regionId: region, containerGroupIds: JSON.stringify([id]) }));
  t.is(gone.body.totalCount, 0);
  const again = await sdkError(c.deleteContainerGroup(new $Eci.DeleteContainerGroupRequest({ regionId: region, containerGroupId: id })));
  t.is(again.statusCode, 404);
  t.is(again.code, 'InvalidContainerGroupId.NotFound');
});

test.serial('restart, update, exec (Sync and WebSocketUri), logs and metrics answer through the SDK', async (t) => {
  const id = (await create('conf-b')).body.containerGroupId!;
  await waitFor('Running', async () => (await c.describeContainerGroups(new $Eci.DescribeContainerGroupsRequest({ regionId: region, containerGroupIds: JSON.stringify([id]) }))).body.containerGroups![0].status === 'Running');
  await c.restartContainerGroup(new $Eci.RestartContainerGroupRequest({ regionId: region, containerGroupId: id }));
  await waitFor('Running after restart', () => h.admin.listGroups().find((g) => g.id === id)?.status === 'Running');
  await c.updateContainerGroup(
    new $Eci.UpdateContainerGroupRequest({ regionId: region, containerGroupId: id, updateType: 'IncrementalUpdate', container: [{ name: 'app', image: 'alpine', command: ['sleep', '7200'] }] }),
  );
  const updated = await waitFor('updated', async () => {
    const g = (await c.describeContainerGroups(new $Eci.DescribeContainerGroupsRequest({ regionId: region, containerGroupIds: JSON.stringify([id]) }))).body.containerGroups![0];
    return g.status === 'Running' && g.containers![0].image === 'alpine' ? g : undefined;
  });
  t.deepEqual(updated.containers![0].commands, ['sleep', '7200']);
  const sync = await c.execContainerCommand(new $Eci.ExecContainerCommandRequest({ regionId: region, containerGroupId: id, containerName: 'app', command: '["echo","hi"]', sync: true }));
  t.is(sync.body.syncResponse, '');
  const ws = await c.execContainerCommand(new $Eci.ExecContainerCommandRequest({ regionId: region, containerGroupId: id, containerName: 'app', command: '["sh"]', TTY: true }));
  t.regex(ws.body.webSocketUri!, new RegExp(`^ws://${h.endpoint}/exec/\\?s=[A-Za-z0-9_-]+$`));
  const log = await c.describeContainerLog(new $Eci.DescribeContainerLogRequest({ regionId: region, containerGroupId: id, containerName: 'app', tail: 10 }));
  t.is(log.body.containerName, 'app');
  const m = await c.describeContainerGroupMetric(new $Eci.DescribeContainerGroupMetricRequest({ regionId: region, containerGroupId: id }));
  t.is(m.body.containerGroupId, id);
  t.true(m.body.records!.length >= 1);
  const mm = await c.describeMultiContainerGroupMetric(new $Eci.DescribeMultiContainerGroupMetricRequest({ regionId: region, containerGroupIds: JSON.stringify([id]) }));
  t.is(mm.body.monitorDatas![0].containerGroupId, id);
  const bad = await sdkError(c.execContainerCommand(new $Eci.ExecContainerCommandRequest({ regionId: region, containerGroupId: id, containerName: 'app', command: '["sh"]', TTY: true, sync: true })));
  t.is(bad.code, 'InvalidParameter');
  await c.deleteContainerGroup(new $Eci.DeleteContainerGroupRequest({ regionId: region, containerGroupId: id }));
});

test.serial('idempotent create: same ClientToken gives the same id; different params with it fail', async (t) => {
  const a = await create('conf-idem', { clientToken: 'tok-1' });
  const b = await create('conf-idem', { clientToken: 'tok-1' });
  t.is(a.body.containerGroupId, b.body.containerGroupId);
  const e = await sdkError(create('conf-idem-other', { clientToken: 'tok-1' }));
  t.is(e.statusCode, 400);
  t.is(e.code, 'IdempotentParameterMismatch');
  await c.deleteContainerGroup(new $Eci.DeleteContainerGroupRequest({ regionId: region, containerGroupId: a.body.containerGroupId }));
});

test.serial('DescribeContainerGroups returns what the create asked for: RAM role, placement, EIP address, instance type, spot', async (t) => {
  const describe = async (id: string) =>
    (await c.describeContainerGroups(new $Eci.DescribeContainerGroupsRequest({ regionId: region, containerGroupIds: JSON.stringify([id]) }))).body.containerGroups![0];
  const asked = await create('conf-fields', {
    ramRoleName: 'reader-role',
    securityGroupId: 'sg-dmz00001',
    vSwitchId: 'vsw-first001,vsw-second01',
    resourceGroupId: 'rg-finance1',
    autoCreateEip: true,
    eipBandwidth: 10,
    instanceType: 'ecs.c6.large,2-4Gi',
    spotStrategy: 'SpotWithPriceLimit',
    spotPriceLimit: 0.25,
    ephemeralStorage: 50,
  });
  const g = await describe(asked.body.containerGroupId!);
  t.like(g, { ramRoleName: 'reader-role', securityGroupId: 'sg-dmz00001', vSwitchId: 'vsw-first001', resourceGroupId: 'rg-finance1', instanceType: 'ecs.c6.large', spotStrategy: 'SpotWithPriceLimit', spotPriceLimit: 0.25, ephemeralStorage: 50 });
  t.regex(g.internetIp!, /^203\.0\.113\.\d+$/, 'a new EIP gets an address (TEST-NET-3)');
  const bound = await create('conf-fields-eip', { eipInstanceId: 'eip-prod0001' });
  const b = await describe(bound.body.containerGroupId!);
  t.regex(b.internetIp!, /^198\.51\.100\.\d+$/, 'a bound EIP has its own fixed address');
  t.is((await describe((await create('conf-fields-again', { eipInstanceId: 'eip-prod0001' })).body.containerGroupId!)).internetIp, b.internetIp);
  const plain = await describe((await create('conf-fields-plain')).body.containerGroupId!);
  t.like(plain, { ramRoleName: '', internetIp: '', spotStrategy: 'NoSpot', resourceGroupId: '', instanceType: '' });
  t.is(plain.spotPriceLimit, undefined);

  const noPrice = await sdkError(create('conf-fields-x1', { spotStrategy: 'SpotWithPriceLimit' }));
  t.is(noPrice.code, 'MissingParameter');
  t.regex(noPrice.message, /SpotPriceLimit/);
  const both = await sdkError(create('conf-fields-x2', { autoCreateEip: true, eipInstanceId: 'eip-prod0001' }));
  t.is(both.code, 'InvalidParameter');
  t.regex(both.message, /EipInstanceId/);
  const badSpot = await sdkError(create('conf-fields-x3', { spotStrategy: 'Cheap' }));
  t.regex(badSpot.message, /SpotStrategy/);
  const badRole = await sdkError(create('conf-fields-x4', { ramRoleName: 'bad role!' }));
  t.regex(badRole.message, /RamRoleName/);
  const badVsw = await sdkError(create('conf-fields-x5', { vSwitchId: 'subnet-1' }));
  t.regex(badVsw.message, /VSwitchId/);
  for (const n of ['conf-fields', 'conf-fields-eip', 'conf-fields-again', 'conf-fields-plain']) {
    const r = await c.describeContainerGroups(new $Eci.DescribeContainerGroupsRequest({ regionId: region, containerGroupName: n }));
    for (const grp of r.body.containerGroups!) await c.deleteContainerGroup(new $Eci.DeleteContainerGroupRequest({ regionId: region, containerGroupId: grp.containerGroupId }));
  }
});

test.serial('paging with Limit/NextToken visits every group once', async (t) => {
  const ids = new Set<string>();
  for (let i = 0; i < 45; i++) ids.add((await create(`page-${i}`, { tag: [{ key: 'suite', value: 'paging' }] })).body.containerGroupId!);
  const seen: string[] = [];
  let token: string | undefined;
  let pages = 0;
  do {
    const r = await c.describeContainerGroups(new $Eci.DescribeContainerGroupsRequest({ regionId: region, tag: [{ key: 'suite', value: 'paging' }], limit: 20, nextToken: token }));
    t.is(r.body.totalCount, 45);
    seen.push(...r.body.containerGroups!.map((g) => g.containerGroupId!));
    token = r.body.nextToken || undefined;
    pages++;
  } while (token && pages < 10);
  t.is(pages, 3);
  t.is(seen.length, 45);
  t.deepEqual([...seen].sort(), [...ids].sort());
  const tooMany = await sdkError(c.describeContainerGroups(new $Eci.DescribeContainerGroupsRequest({ regionId: region, limit: 21 })));
  t.is(tooMany.code, 'InvalidParameter');
  const badToken = await sdkError(c.describeContainerGroups(new $Eci.DescribeContainerGroupsRequest({ regionId: region, nextToken: '!!' })));
  t.is(badToken.statusCode, 400);
  for (const id of ids) await c.deleteContainerGroup(new $Eci.DeleteContainerGroupRequest({ regionId: region, containerGroupId: id }));
});

test.serial('validation: missing, malformed and out-of-range parameters', async (t) => {
  const noContainer = await sdkError(c.createContainerGroup(new $Eci.CreateContainerGroupRequest({ regionId: region, containerGroupName: 'x1' })));
  t.is(noContainer.code, 'MissingParameter');
  t.is(noContainer.statusCode, 400);
  const noImage = await sdkError(c.createContainerGroup(new $Eci.CreateContainerGroupRequest({ regionId: region, containerGroupName: 'x1', container: [{ name: 'a' }] })));
  t.is(noImage.code, 'MissingParameter');
  t.regex(noImage.message, /Container\.1\.Image/);
  const badPolicy = await sdkError(create('x2', { restartPolicy: 'Sometimes' }));
  t.is(badPolicy.code, 'InvalidParameter');
  t.regex(badPolicy.message, /RestartPolicy/);
  const badName = await sdkError(create('Not_Valid'));
  t.regex(badName.message, /ContainerGroupName/);
  const badPort = await sdkError(create('x3', { container: [{ name: 'a', image: 'busybox', port: [{ port: 70000 }] }] }));
  t.regex(badPort.message, /Container\.1\.Port\.1\.Port.*out of range/);
  const badJson = await sdkError(c.describeContainerGroups(new $Eci.DescribeContainerGroupsRequest({ regionId: region, containerGroupIds: 'eci-a,eci-b' })));
  t.is(badJson.code, 'InvalidParameter');
  const noRegion = await sdkError(c.describeContainerGroups(new $Eci.DescribeContainerGroupsRequest({})));
  t.is(noRegion.code, 'MissingParameter');
});

test.serial('regions: unknown region is refused; groups are invisible from another region', async (t) => {
  const e = await sdkError(c.describeContainerGroups(new $Eci.DescribeContainerGroupsRequest({ regionId: 'us-west-1' })));
  t.is(e.statusCode, 400);
  t.is(e.code, 'InvalidRegionId');
  const id = (await create('conf-region')).body.containerGroupId!;
  const other = await sdkError(c.deleteContainerGroup(new $Eci.DeleteContainerGroupRequest({ regionId: 'cn-shanghai', containerGroupId: id })));
  t.is(other.code, 'InvalidContainerGroupId.NotFound');
  await c.deleteContainerGroup(new $Eci.DeleteContainerGroupRequest({ regionId: region, containerGroupId: id }));
});

test.serial('authentication: wrong secret, unknown key, legacy v2 signature', async (t) => {
  const wrong = sdkClient(h, { accessKeySecret: 'not-the-secret' });
  const e1 = await sdkError(wrong.describeContainerGroups(new $Eci.DescribeContainerGroupsRequest({ regionId: region })));
  t.is(e1.statusCode, 400);
  t.is(e1.code, 'SignatureDoesNotMatch');
  const unknown = sdkClient(h, { accessKeyId: 'LTAIunknown' });
  const e2 = await sdkError(unknown.describeContainerGroups(new $Eci.DescribeContainerGroupsRequest({ regionId: region })));
  t.is(e2.statusCode, 404);
  t.is(e2.code, 'InvalidAccessKeyId.NotFound');
  const v2 = sdkClient(h, { signatureAlgorithm: 'v2' });
  const ok = await v2.describeContainerGroups(new $Eci.DescribeContainerGroupsRequest({ regionId: region }));
  t.is(ok.statusCode, 200);
  const v2wrong = sdkClient(h, { signatureAlgorithm: 'v2', accessKeySecret: 'nope' });
  t.is((await sdkError(v2wrong.describeContainerGroups(new $Eci.DescribeContainerGroupsRequest({ regionId: region })))).code, 'SignatureDoesNotMatch');
});

/** Records the exact request the SDK sends (to a local capture server) so it can be replayed at the emulator. */
async function captureSdkRequest(): Promise<{ method: string; url: string; headers: IncomingHttpHeaders }> {
  let captured: { method: string; url: string; headers: IncomingHttpHeaders } | undefined;
  const srv = createServer((req, res) => {
    captured = { method: req.method!, url: req.url!, headers: req.headers };
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end('{"RequestId":"capture","ContainerGroups":[]}');
  });
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  const endpoint = `127.0.0.1:${(srv.address() as AddressInfo).port}`;
  await sdkClient({ ...h, endpoint }).describeContainerGroups(new $Eci.DescribeContainerGroupsRequest({ regionId: region }));
  await new Promise<void>((r) => srv.close(() => r()));
  return captured!;
}

function replay(req: { method: string; url: string; headers: IncomingHttpHeaders }, headers: IncomingHttpHeaders = req.headers): Promise<{ status: number; body: { Code?: string; RequestId?: string } }> {
  const [host, port] = h.endpoint.split(':');
  return new Promise((resolve, reject) => {
    const r = request({ host, port: Number(port), method: req.method, path: req.url, headers }, (res) => {
      let data = '';
      res.on('data', (d) => (data += d));
      res.on('end', () => resolve({ status: res.statusCode!, body: JSON.parse(data) as { Code?: string; RequestId?: string } }));
    });
    r.on('error', reject);
    r.end();
  });
}

test.serial('replayed nonce, missing signature and expired timestamp are refused like the gateway does', async (t) => {
  const captured = await captureSdkRequest();
  const first = await replay(captured);
  t.is(first.status, 200);
  const second = await replay(captured);
  t.is(second.status, 400);
  t.is(second.body.Code, 'SignatureNonceUsed');
  t.truthy(second.body.RequestId);
  const { authorization: _a, ...unsigned } = captured.headers;
  const missing = await replay(captured, unsigned);
  t.is(missing.status, 400);
  t.is(missing.body.Code, 'MissingAuthorization');
  const tampered = await replay({ ...captured, url: captured.url.replace('RegionId=cn-hangzhou', 'RegionId=cn-shanghai') });
  t.is(tampered.body.Code, 'SignatureDoesNotMatch');
  // A timestamp outside the skew window, in the past or in the future, is refused; one inside it is not. The
  // client signs with the time it was given (a skewed clock), so no test has to wait for a request to age.
  h.admin.configure({ signature: { maxSkewSeconds: 60 } });
  t.teardown(() => h.admin.configure({ signature: { maxSkewSeconds: 900 } }));
  const signedAt = (offsetSeconds: number) => sdkClient(h, { signedAt: new Date(Date.now() + offsetSeconds * 1000) });
  const describe = (cl: EciClient) => cl.describeContainerGroups(new $Eci.DescribeContainerGroupsRequest({ regionId: region }));
  for (const offset of [-120, 120]) {
    const expired = await sdkError(describe(signedAt(offset)));
    t.is(expired.statusCode, 400, `signed ${offset} s off`);
    t.is(expired.code, 'InvalidTimeStamp.Expired', `signed ${offset} s off`);
  }
  t.is((await describe(signedAt(-30))).statusCode, 200, 'signed 30 s ago: within the window');
});

test.serial('throttling answers 400 Throttling.User per action', async (t) => {
  h.admin.setRateLimits({ DescribeContainerGroupStatus: 2 });
  t.teardown(() => h.admin.setRateLimits({ DescribeContainerGroupStatus: 200 }));
  const results = await Promise.allSettled(Array.from({ length: 6 }, () => c.describeContainerGroupStatus(new $Eci.DescribeContainerGroupStatusRequest({ regionId: region }))));
  const codes = await Promise.all(results.map(async (r) => (r.status === 'fulfilled' ? 'ok' : (await sdkError(Promise.reject(r.reason as Error))).code)));
  t.true(codes.includes('Throttling.User'), codes.join(','));
  t.true(codes.includes('ok'));
  // other actions are not affected
  t.is((await c.describeContainerGroups(new $Eci.DescribeContainerGroupsRequest({ regionId: region }))).statusCode, 200);
});

test.serial('injected faults: 5xx, connection reset; stock-out and max groups', async (t) => {
  h.admin.setFaults({ DescribeContainerGroups: { errorRate: 1, errorStatus: 503 } });
  const e = await sdkError(c.describeContainerGroups(new $Eci.DescribeContainerGroupsRequest({ regionId: region })));
  t.is(e.statusCode, 503);
  t.is(e.code, 'ServiceUnavailable');
  h.admin.setFaults({ DescribeContainerGroups: { resetRate: 1 } });
  const reset = await sdkError(c.describeContainerGroups(new $Eci.DescribeContainerGroupsRequest({ regionId: region })));
  t.regex(reset.code + reset.message, /ECONNRESET|socket hang up/);
  h.admin.setFaults({});
  t.is((await c.describeContainerGroups(new $Eci.DescribeContainerGroupsRequest({ regionId: region }))).statusCode, 200);

  h.admin.setStockOut({ specs: ['2-4Gi'], code: 'OperationDenied.NoStock', httpStatus: 403 });
  const so = await sdkError(create('stock', { cpu: 2, memory: 4 }));
  t.is(so.code, 'OperationDenied.NoStock');
  t.is(so.statusCode, 403);
  const other = await create('stock-ok', { cpu: 1, memory: 2 });
  h.admin.setStockOut([]);
  h.admin.setMaxGroups(h.admin.stats().groups);
  const quota = await sdkError(create('over-quota'));
  t.is(quota.code, 'QuotaExceeded.ContainerGroupCount');
  h.admin.setMaxGroups(0);
  await c.deleteContainerGroup(new $Eci.DeleteContainerGroupRequest({ regionId: region, containerGroupId: other.body.containerGroupId }));
  const stats = h.admin.stats();
  t.true(stats.callsByAction.CreateContainerGroup > 0);
  t.true(stats.callsByAction.DescribeContainerGroups > 0);
});

test.serial('admin HTTP endpoint changes faults and reports stats', async (t) => {
  const headers = { authorization: `Bearer ${h.adminToken}`, 'content-type': 'application/json' };
  const set = await fetch(`${h.url}/__admin/faults`, { method: 'POST', headers, body: JSON.stringify({ DeleteContainerGroup: { errorRate: 1 } }) });
  t.is(set.status, 200);
  const e = await sdkError(c.deleteContainerGroup(new $Eci.DeleteContainerGroupRequest({ regionId: region, containerGroupId: 'eci-x' })));
  t.is(e.code, 'InternalError');
  t.is(e.statusCode, 500);
  const bad = await fetch(`${h.url}/__admin/config`, { method: 'POST', headers, body: JSON.stringify({ backoff: { initialMs: -1 } }) });
  t.is(bad.status, 400);
  t.regex(((await bad.json()) as { field: string }).field, /backoff\.initialMs/);
  await fetch(`${h.url}/__admin/faults`, { method: 'POST', headers, body: '{}' });
  const stats = (await (await fetch(`${h.url}/__admin/stats`, { headers })).json()) as { callsByAction: Record<string, number> };
  t.true(stats.callsByAction.DeleteContainerGroup >= 1);
});
