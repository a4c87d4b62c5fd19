// EciCaller against the ECI emulator through the unmodified SDK: throttling and 5xx retried until success,
// permanent errors not retried, network errors and timeouts retried within bounds, metrics recorded.
import test from 'ava';
import { createServer } from 'node:net';
import { startEmulator, type EmulatorHandle } from '../../../cloud/eci-emulator/index.js';
import { createEciCaller } from '../../../cloud/eci/client.js';
import { $Eci } from '../../../cloud/eci/sdk.js';
import { newRegistry } from '../../../common/metrics.js';

let emu: EmulatorHandle;
test.before(async () => {
  emu = await startEmulator({ runtime: 'simulated' });
});
test.after.always(() => emu?.close());

const endpointOf = (e: EmulatorHandle) => ({ endpoint: e.endpoint, protocol: 'http' as const, regionId: e.regionId, accessKeyId: e.accessKeyId, accessKeySecret: e.accessKeySecret });
const describe = (regionId: string) => new $Eci.DescribeContainerGroupsRequest({ regionId, limit: 1 });

test.serial('throttled and 5xx calls are retried until they succeed; metrics count them by code', async (t) => {
  const registry = newRegistry();
  emu.admin.setRateLimits({ DescribeContainerGroups: 5 });
  emu.admin.setFaults({ DescribeContainerGroups: { errorRate: 0.2, errorStatus: 503 } });
  t.teardown(() => (emu.admin.setRateLimits(true), emu.admin.setFaults({})));
  // The caller's own bucket allows more than the emulator: the excess is throttled by ECI and retried.
  const caller = createEciCaller({ tenantId: 't1', endpoint: endpointOf(emu), registry, rates: { DescribeContainerGroups: { perSecond: 50 } }, retry: { maxAttempts: 25, baseDelayMs: 50, maxDelayMs: 1500, maxTotalMs: 60_000 } });
  const results = await Promise.all(Array.from({ length: 12 }, () => caller.call('DescribeContainerGroups', (c, rt) => c.describeContainerGroupsWithOptions(describe(caller.regionId), rt))));
  t.true(results.every((r) => r.statusCode === 200 && typeof r.body?.requestId === 'string'));
  const s = caller.stats();
  t.true(s.errorsByCode['Throttling.User'] > 0, 'throttling happened and was retried');
  t.true(s.retries > 0);
  const text = await registry.metrics();
  t.regex(text, /ecigw_eci_errors_total\{tenant="t1",action="DescribeContainerGroups",code="Throttling.User"\} \d+/);
  t.regex(text, /ecigw_eci_calls_total\{tenant="t1",action="DescribeContainerGroups",code="OK"\} 12/);
  t.regex(text, /ecigw_eci_call_duration_seconds_count\{action="DescribeContainerGroups"\} \d+/);
});

test.serial('the caller’s own token bucket keeps a tenant under the ECI limit (no throttling)', async (t) => {
  emu.admin.setRateLimits({ DescribeContainerGroups: 20 });
  t.teardown(() => emu.admin.setRateLimits(true));
  const caller = createEciCaller({ tenantId: 't2', endpoint: endpointOf(emu), rates: { DescribeContainerGroups: { perSecond: 15, burst: 5 } } });
  await Promise.all(Array.from({ length: 25 }, () => caller.call('DescribeContainerGroups', (c, rt) => c.describeContainerGroupsWithOptions(describe(caller.regionId), rt))));
  t.is(caller.stats().errorsByCode['Throttling.User'] ?? 0, 0);
  t.is(caller.stats().attemptsByAction.DescribeContainerGroups, 25);
});

test.serial('a permanent error is not retried', async (t) => {
  const caller = createEciCaller({ tenantId: 't3', endpoint: endpointOf(emu) });
  const err = await t.throwsAsync(
    caller.call('CreateContainerGroup', (c, rt) => c.createContainerGroupWithOptions(new $Eci.CreateContainerGroupRequest({ regionId: caller.regionId, containerGroupName: 'x' }), rt)),
  );
  t.regex(String((err as { code?: string }).code), /^(MissingParameter|InvalidParameter)/);
  t.is(caller.stats().attemptsByAction.CreateContainerGroup, 1);
});

test.serial('connection refused is retried with back-off up to the attempt bound', async (t) => {
  const srv = createServer();
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  const port = (srv.address() as { port: number }).port;
  await new Promise<void>((r) => srv.close(() => r()));
  const caller = createEciCaller({ tenantId: 't4', endpoint: { ...endpointOf(emu), endpoint: `127.0.0.1:${port}` }, retry: { maxAttempts: 3, baseDelayMs: 10, maxDelayMs: 50, maxTotalMs: 10_000 } });
  const err = await t.throwsAsync(caller.call('DescribeContainerGroups', (c, rt) => c.describeContainerGroupsWithOptions(describe(caller.regionId), rt)));
  t.is((err as { code?: string }).code, 'ECONNREFUSED');
  t.is(caller.stats().attemptsByAction.DescribeContainerGroups, 3);
});

test.serial('a call that does not answer times out and is retried; retry:false makes one attempt', async (t) => {
  emu.admin.setFaults({ DescribeContainerGroups: { timeoutRate: 1, timeoutMs: 3000 } });
  t.teardown(() => emu.admin.setFaults({}));
  const caller = createEciCaller({ tenantId: 't5', endpoint: endpointOf(emu), timeoutMs: 300, retry: { maxAttempts: 2, baseDelayMs: 10, maxDelayMs: 20, maxTotalMs: 10_000 } });
  const err = await t.throwsAsync(caller.call('DescribeContainerGroups', (c, rt) => c.describeContainerGroupsWithOptions(describe(caller.regionId), rt)));
  t.is((err).name, 'RequestTimeoutError');
  t.is(caller.stats().attemptsByAction.DescribeContainerGroups, 2);
  await t.throwsAsync(caller.call('DescribeContainerGroups', (c, rt) => c.describeContainerGroupsWithOptions(describe(caller.regionId), rt), { retry: false }));
  t.is(caller.stats().attemptsByAction.DescribeContainerGroups, 3);
});
