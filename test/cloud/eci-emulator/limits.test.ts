// The emulator's throttling: which bucket serves an action (own, shared, legacy per-second numbers), token-bucket
// arithmetic on an injected clock (no sleeps), config validation naming the field, and the wire answer through
// the unmodified SDK (400 Throttling.User) for a bucket Create and Delete share.
import test from 'ava';
import { ConfigError, defaultConfig, mergeConfig, type EmulatorConfig } from '../../../cloud/eci-emulator/config.js';
import { bucketFor, RateLimiter } from '../../../cloud/eci-emulator/limits.js';
import { startEmulator } from '../../../cloud/eci-emulator/index.js';
import { $Eci, sdkClient, sdkError } from './sdk.js';

const limits = (override: unknown = {}): EmulatorConfig['rateLimits'] => mergeConfig(defaultConfig(), { rateLimits: override }).rateLimits;

test('defaults are ECI\'s published limits: Create and Delete share 100 at once + 20/s; Exec and logs 500/min', (t) => {
  const l = limits();
  t.deepEqual(bucketFor(l, 'CreateContainerGroup'), { name: 'CreateDeleteContainerGroup', burst: 100, perSecond: 20 });
  t.deepEqual(bucketFor(l, 'DeleteContainerGroup'), { name: 'CreateDeleteContainerGroup', burst: 100, perSecond: 20 });
  t.deepEqual(bucketFor(l, 'ExecContainerCommand'), { name: 'ExecContainerCommand', burst: 500, perSecond: 500 / 60 });
  t.deepEqual(bucketFor(l, 'DescribeContainerLog'), { name: 'DescribeContainerLog', burst: 500, perSecond: 500 / 60 });
  // Not published: the emulator's choice, per second with a burst of one second's worth.
  t.deepEqual(bucketFor(l, 'DescribeContainerGroups'), { name: 'DescribeContainerGroups', burst: 200, perSecond: 200 });
  t.deepEqual(bucketFor(l, 'UpdateContainerGroup'), { name: 'UpdateContainerGroup', burst: 50, perSecond: 50 });
});

const resolution: [string, unknown, string, ReturnType<typeof bucketFor>][] = [
  ['a bare number (the old form) is per second, burst one second', { DescribeContainerGroupStatus: 2 }, 'DescribeContainerGroupStatus', { name: 'DescribeContainerGroupStatus', burst: 2, perSecond: 2 }],
  ['a rate below 1/s still lets one call through', { DescribeContainerGroupStatus: 0.5 }, 'DescribeContainerGroupStatus', { name: 'DescribeContainerGroupStatus', burst: 1, perSecond: 0.5 }],
  ['an action\'s own entry takes it out of the shared bucket', { CreateContainerGroup: 15 }, 'CreateContainerGroup', { name: 'CreateContainerGroup', burst: 15, perSecond: 15 }],
  ['... and leaves the other member in it', { CreateContainerGroup: 15 }, 'DeleteContainerGroup', { name: 'CreateDeleteContainerGroup', burst: 100, perSecond: 20 }],
  ['an entry replaces the old one whole (per minute for per second)', { CreateDeleteContainerGroup: { actions: ['CreateContainerGroup', 'DeleteContainerGroup'], perMinute: 120 } }, 'DeleteContainerGroup', { name: 'CreateDeleteContainerGroup', burst: 120, perSecond: 2 }],
  ['an explicit burst', { ExecContainerCommand: { perMinute: 600, burst: 5 } }, 'ExecContainerCommand', { name: 'ExecContainerCommand', burst: 5, perSecond: 10 }],
  ['a new shared bucket, its actions\' own entries removed (null)', { Mutations: { actions: ['UpdateContainerGroup', 'RestartContainerGroup'], perSecond: 3 }, UpdateContainerGroup: null, RestartContainerGroup: null }, 'RestartContainerGroup', { name: 'Mutations', burst: 3, perSecond: 3 }],
  ['... while an action\'s own entry is there, it serves the action', { Mutations: { actions: ['UpdateContainerGroup', 'RestartContainerGroup'], perSecond: 3 } }, 'RestartContainerGroup', { name: 'RestartContainerGroup', burst: 50, perSecond: 50 }],
  ['0 is no limit', { DescribeContainerGroups: 0 }, 'DescribeContainerGroups', undefined],
  ['0 per minute is no limit', { ExecContainerCommand: { perMinute: 0 } }, 'ExecContainerCommand', undefined],
];
for (const [name, override, action, want] of resolution) {
  test(`bucket: ${name}`, (t) => t.deepEqual(bucketFor(limits(override), action), want));
}

/** Steps on one limiter: [ms since start, action, expect "ok" or "throttled", times]. */
type Step = [number, string, 'ok' | 'throttled', number?];
const buckets: [string, unknown, Step[]][] = [
  ['shared Create/Delete: 100 at once, together, then 20/s', {}, [
    [0, 'CreateContainerGroup', 'ok', 60],
    [0, 'DeleteContainerGroup', 'ok', 40],
    [0, 'CreateContainerGroup', 'throttled'],
    [0, 'DeleteContainerGroup', 'throttled'],
    [49, 'DeleteContainerGroup', 'throttled'],
    [51, 'CreateContainerGroup', 'ok'],
    [51, 'DeleteContainerGroup', 'throttled'],
    [1060, 'CreateContainerGroup', 'ok', 20],
    [1060, 'DeleteContainerGroup', 'throttled'],
    // A long quiet period refills to the burst, no further.
    [60_000, 'DeleteContainerGroup', 'ok', 100],
    [60_000, 'CreateContainerGroup', 'throttled'],
  ]],
  ['per minute: the minute\'s worth at once, then one every 120 ms', {}, [
    [0, 'ExecContainerCommand', 'ok', 500],
    [0, 'ExecContainerCommand', 'throttled'],
    [0, 'DescribeContainerLog', 'ok', 500],
    [119, 'ExecContainerCommand', 'throttled'],
    [121, 'ExecContainerCommand', 'ok'],
    [121, 'ExecContainerCommand', 'throttled'],
  ]],
  ['old per-action numbers keep their meaning', { CreateContainerGroup: 5, DeleteContainerGroup: 5 }, [
    [0, 'CreateContainerGroup', 'ok', 5],
    [0, 'CreateContainerGroup', 'throttled'],
    [0, 'DeleteContainerGroup', 'ok', 5],
    [210, 'CreateContainerGroup', 'ok'],
    [210, 'CreateContainerGroup', 'throttled'],
  ]],
  ['unlimited actions are never throttled', { DescribeContainerGroups: 0 }, [[0, 'DescribeContainerGroups', 'ok', 10_000]]],
];
for (const [name, override, steps] of buckets) {
  test(`limiter: ${name}`, (t) => {
    let now = 1_000_000;
    const start = now;
    const limiter = new RateLimiter(() => now);
    const l = limits(override);
    for (const [at, action, want, times = 1] of steps) {
      now = start + at;
      for (let i = 0; i < times; i++) {
        const got = (() => {
          try {
            limiter.take('AK1', action, l);
            return 'ok';
          } catch (e) {
            t.like(e, { httpStatus: 400, code: 'Throttling.User' });
            return 'throttled';
          }
        })();
        if (got !== want) return t.fail(`at ${at} ms, ${action} call ${i + 1}/${times}: ${got}, want ${want}`);
      }
    }
    t.pass();
  });
}

test('limiter: buckets are per AccessKey; reset refills', (t) => {
  const limiter = new RateLimiter(() => 0);
  const l = limits({ CreateContainerGroup: 1 });
  limiter.take('AK1', 'CreateContainerGroup', l);
  t.throws(() => limiter.take('AK1', 'CreateContainerGroup', l));
  t.notThrows(() => limiter.take('AK2', 'CreateContainerGroup', l));
  limiter.reset();
  t.notThrows(() => limiter.take('AK1', 'CreateContainerGroup', l));
});

const invalid: [string, unknown, RegExp][] = [
  ['perSecond and perMinute', { ExecContainerCommand: { perSecond: 1, perMinute: 60 } }, /rateLimits\.ExecContainerCommand.*exactly one of perSecond and perMinute/],
  ['neither', { ExecContainerCommand: { burst: 3 } }, /rateLimits\.ExecContainerCommand.*exactly one/],
  ['a burst below 1', { ExecContainerCommand: { perMinute: 60, burst: 0.5 } }, /rateLimits\.ExecContainerCommand\.burst/],
  ['a negative rate', { CreateContainerGroup: -1 }, /rateLimits\.CreateContainerGroup/],
  ['an unknown field', { ExecContainerCommand: { perMinute: 60, window: 1 } }, /rateLimits\.ExecContainerCommand\.window.*unknown field/],
  ['an unknown action', { CreateWidget: 5 }, /rateLimits\.CreateWidget.*unknown action/],
  ['a shared bucket without actions', { Writes: { perSecond: 5 } }, /rateLimits\.Writes.*unknown action \(a shared bucket lists its actions/],
  ['an unknown action in a shared bucket', { Writes: { actions: ['CreateWidget'], perSecond: 5 } }, /rateLimits\.Writes\.actions.*"CreateWidget"/],
  ['an empty action list', { Writes: { actions: [], perSecond: 5 } }, /rateLimits\.Writes\.actions.*non-empty/],
  ['an action in two shared buckets', { Writes: { actions: ['DeleteContainerGroup'], perSecond: 5 } }, /DeleteContainerGroup is already in the shared bucket/],
  ['an action entry naming another action', { ExecContainerCommand: { actions: ['DescribeContainerLog'], perMinute: 5 } }, /rateLimits\.ExecContainerCommand\.actions.*serves only ExecContainerCommand/],
];
for (const [name, override, message] of invalid) {
  test(`config refuses ${name}`, (t) => {
    const e = t.throws(() => mergeConfig(defaultConfig(), { rateLimits: override }), { instanceOf: ConfigError });
    t.regex(e.message, message);
  });
}

test('through the SDK: Create and Delete draw from one bucket, answered 400 Throttling.User', async (t) => {
  const h = await startEmulator({ runtime: 'simulated', config: { rateLimits: { CreateDeleteContainerGroup: { actions: ['CreateContainerGroup', 'DeleteContainerGroup'], perMinute: 1, burst: 2 } } } });
  t.teardown(() => h.close());
  const c = sdkClient(h);
  // Throttling comes before parameter checks and the action: an empty create and an unknown group still spend tokens.
  const create = () => sdkError(c.createContainerGroup(new $Eci.CreateContainerGroupRequest({ regionId: h.regionId })));
  const del = () => sdkError(c.deleteContainerGroup(new $Eci.DeleteContainerGroupRequest({ regionId: h.regionId, containerGroupId: 'eci-missing' })));
  t.regex((await create()).code, /^(MissingParameter|InvalidParameter)/);
  t.is((await del()).code, 'InvalidContainerGroupId.NotFound');
  for (const e of [await create(), await del()]) t.like(e, { statusCode: 400, code: 'Throttling.User' });
  t.is((await c.describeContainerGroups(new $Eci.DescribeContainerGroupsRequest({ regionId: h.regionId }))).statusCode, 200, 'other actions are not affected');
});
