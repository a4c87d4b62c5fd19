// Bench: the emulator's own request throughput through the real SDK (simulated runtime, limits disabled) for
// DescribeContainerGroups and CreateContainerGroup, against a bare Node http server answering the same SDK
// requests with a fixed body in the same run. Bounded in count and time.
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import Eci, * as $Eci from '@alicloud/eci20180808';
import * as $OpenApi from '@alicloud/openapi-client';
import type { Bench } from './lib.js';
import { startEmulator } from '../cloud/eci-emulator/index.js';

const EciClass = ((Eci as unknown as { default?: typeof Eci.default }).default ?? Eci) as typeof Eci.default;
const CONCURRENCY = 8;
const MAX_MS = 8_000;

function client(endpoint: string, id: string, secret: string) {
  return new EciClass(new $OpenApi.Config({ accessKeyId: id, accessKeySecret: secret, endpoint, protocol: 'http', regionId: 'cn-hangzhou', readTimeout: 10_000, connectTimeout: 10_000 }));
}

async function measure(count: number, call: (i: number) => Promise<unknown>): Promise<number> {
  let next = 0;
  let done = 0;
  const start = performance.now();
  const deadline = Date.now() + MAX_MS;
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (next < count && Date.now() < deadline) {
        const i = next++;
        await call(i);
        done++;
      }
    }),
  );
  return done / ((performance.now() - start) / 1000);
}

const createReq = (i: number) =>
  new $Eci.CreateContainerGroupRequest({ regionId: 'cn-hangzhou', containerGroupName: `bench-${i}`, container: [{ name: 'app', image: 'nginx', port: [{ port: 80 }] }], tag: [{ key: 'PodName', value: `p${i}` }] });

const bench: Bench = async (args) => {
  const n = Number(args[0] ?? 2000);
  const emu = await startEmulator({ runtime: 'simulated', config: { rateLimitsEnabled: false, createLatency: { schedulingMs: 0, pendingMs: 0 } } });
  const bare = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      const body = req.headers['x-acs-action'] === 'CreateContainerGroup' ? '{"RequestId":"R","ContainerGroupId":"eci-bare"}' : '{"RequestId":"R","TotalCount":0,"ContainerGroups":[]}';
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
      res.end(body);
    });
  });
  await new Promise<void>((r) => bare.listen(0, '127.0.0.1', r));
  try {
    const e = client(emu.endpoint, emu.accessKeyId, emu.accessKeySecret);
    const b = client(`127.0.0.1:${(bare.address() as AddressInfo).port}`, 'AK', 'SK');
    // warm-up, then 100 groups so Describe pages real data
    await measure(100, (i) => e.createContainerGroup(createReq(1_000_000 + i)));
    await measure(100, () => b.createContainerGroup(createReq(0)));
    const describe = new $Eci.DescribeContainerGroupsRequest({ regionId: 'cn-hangzhou', limit: 20 });
    const bareDescribe = await measure(n, () => b.describeContainerGroups(describe));
    const describeRps = await measure(n, () => e.describeContainerGroups(describe));
    const bareCreate = await measure(n, (i) => b.createContainerGroup(createReq(i)));
    const createRps = await measure(n, (i) => e.createContainerGroup(createReq(i)));
    const calls = emu.admin.stats().callsByAction;
    return {
      metrics: {
        describe_rps: Math.round(describeRps),
        create_rps: Math.round(createRps),
        bare_describe_rps: Math.round(bareDescribe),
        bare_create_rps: Math.round(bareCreate),
        ratio_vs_bare_http: describeRps / bareDescribe,
        create_ratio_vs_bare_http: createRps / bareCreate,
        describe_calls_counted: calls.DescribeContainerGroups ?? 0,
      },
      targets: { ratio_vs_bare_http: { min: 0.3 }, create_ratio_vs_bare_http: { min: 0.3 }, describe_rps: { min: 200 } },
    };
  } finally {
    await emu.close();
    await new Promise<void>((r) => bare.close(() => r()));
  }
};

export default bench;
