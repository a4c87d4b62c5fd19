// The CLIs turn tracing on from the standard OTEL_* environment: the real gateway-relay process, started with
// OTEL_TRACES_EXPORTER=otlp and OTEL_EXPORTER_OTLP_ENDPOINT, joins the trace a call's traceparent names and
// exports its spans as OTLP over HTTP/protobuf to a receiver on loopback; a value this build cannot honour
// is one line naming the variable and exit 2, for both CLIs.
import test from 'ava';
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { randomUUID } from 'node:crypto';
import * as grpc from '@grpc/grpc-js';
import { startEmulator } from '../../cloud/eci-emulator/index.js';
import { TunnelServiceClient } from '../../proto/load.js';
import { METADATA, PROTOCOL_VERSION } from '../../proto/wire.js';
import { prepareGatewayCli } from '../helpers/gateway-cli.js';
import { freePort } from '../helpers/ports.js';
import { podIntent } from '../helpers/tunnel/fixture.js';
import { eventually } from '../helpers/wait.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '../..');
const TRACE_ID = 'a3ce929d0e0e47364bf92f3577b34da6';
const SPAN_ID = 'b7ad6b7169203331';

async function prepared(t: import('ava').ExecutionContext, eci = { endpoint: '127.0.0.1:1', accessKeyId: 'id', accessKeySecret: 'secret' }) {
  const dir = mkdtempSync(join(tmpdir(), 'ecigw-otel-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const cli = await prepareGatewayCli({ dir, kubeconfigPath: join(dir, 'no-kubeconfig'), clusterCaFile: join(dir, 'relay-ca.crt'), eci, nodeName: 'n1', clusterId: 'c1', tenant: 'acme', maxPods: 10 });
  return { dir, cli };
}

test('an OTEL_* value this build cannot honour is one line naming the variable, exit 2, for both CLIs', async (t) => {
  const { cli } = await prepared(t);
  const cases: [string, string[], NodeJS.ProcessEnv][] = [
    ['gateway-relay', cli.relay.args, { ...cli.relay.env, OTEL_TRACES_EXPORTER: 'zipkin' }],
    ['gateway-relay', cli.relay.args, { ...cli.relay.env, OTEL_TRACES_EXPORTER: 'otlp', OTEL_EXPORTER_OTLP_PROTOCOL: 'grpc' }],
    ['gateway-agent', cli.agent.args, { ...cli.agent.env, OTEL_TRACES_EXPORTER: 'jaeger' }],
  ];
  for (const [program, args, env] of cases) {
    const r = spawnSync(process.execPath, [join(root, 'bin', `${program}.js`), ...args], { encoding: 'utf8', timeout: 60_000, env: { PATH: process.env.PATH, HOME: process.env.HOME, ...env, LOG_LEVEL: 'silent' } });
    const detail = `${program} ${JSON.stringify(env)}\nstdout: ${r.stdout}\nstderr: ${r.stderr}`;
    t.is(r.status, 2, detail);
    t.is(r.stderr.trimEnd().split('\n').length, 1, detail);
    t.regex(r.stderr, new RegExp(`^${program}: OTEL_(TRACES_EXPORTER|EXPORTER_OTLP_PROTOCOL): .*(set it to|unset it)`), detail);
  }
});

/** The real gateway-relay process in front of an in-process ECI emulator, with `otel` added to its environment. */
async function relayCli(t: import('ava').ExecutionContext, otel: NodeJS.ProcessEnv) {
  const emulator = await startEmulator({ runtime: 'simulated' });
  t.teardown(() => emulator.close());
  const { dir, cli } = await prepared(t, { endpoint: emulator.endpoint, accessKeyId: emulator.accessKeyId, accessKeySecret: emulator.accessKeySecret });
  const relay = spawn(process.execPath, [join(root, 'bin', 'gateway-relay.js'), ...cli.relay.args], {
    env: { PATH: process.env.PATH, HOME: process.env.HOME, ...cli.relay.env, LOG_LEVEL: 'warn', ...otel },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const out = { stderr: '' };
  relay.stderr.on('data', (d: Buffer) => (out.stderr += d.toString()));
  const exited = new Promise<number | null>((r) => relay.once('exit', (code) => r(code)));
  t.teardown(async () => {
    relay.kill('SIGTERM');
    await exited;
  });
  await eventually('the relay is healthy', () => Promise.race([
    fetch(cli.relay.healthUrl).then((x) => x.ok, () => false),
    exited.then((code): boolean => {
      throw new Error(`relay exited ${code}: ${out.stderr}`);
    }),
  ]), 60_000, 100);
  const port = Number(cli.relay.args[cli.relay.args.indexOf('--port') + 1]);
  const raw = new TunnelServiceClient(`127.0.0.1:${port}`, grpc.credentials.createSsl(readFileSync(join(dir, 'relay-ca.crt')), readFileSync(join(dir, 'agent.key')), readFileSync(join(dir, 'agent.crt')))) as unknown as grpc.Client & {
    ApplyPod(req: object, md: grpc.Metadata, cb: (err: grpc.ServiceError | null, res?: { providerId: string }) => void): void;
  };
  t.teardown(() => raw.close());
  /** ApplyPod with a traceparent, as the agent's tunnel client sends it. */
  const apply = () => {
    const md = new grpc.Metadata();
    md.set(METADATA.clusterId, 'c1');
    md.set(METADATA.protocol, String(PROTOCOL_VERSION));
    md.set(METADATA.traceparent, `00-${TRACE_ID}-${SPAN_ID}-01`);
    return new Promise<{ providerId: string }>((resolve, reject) => raw.ApplyPod({ intent: podIntent(randomUUID()) }, md, (e, r) => (e ? reject(e) : resolve(r!))));
  };
  return { apply, out };
}

test('gateway-relay with OTEL_TRACES_EXPORTER=otlp joins the caller\'s trace and exports it as OTLP http/protobuf', async (t) => {
  // The collector: an OTLP/HTTP receiver on loopback that keeps each export's body.
  const exports: { path: string; type: string; body: Buffer }[] = [];
  const collector = createServer((req: IncomingMessage, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      exports.push({ path: req.url ?? '', type: req.headers['content-type'] ?? '', body: Buffer.concat(chunks) });
      res.writeHead(200, { 'content-type': 'application/x-protobuf' }).end();
    });
  });
  await new Promise<void>((r) => collector.listen(0, '127.0.0.1', r));
  t.teardown(() => collector.close());
  const relay = await relayCli(t, {
    OTEL_TRACES_EXPORTER: 'otlp',
    OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${(collector.address() as AddressInfo).port}`,
    OTEL_SERVICE_NAME: 'relay-under-test',
    OTEL_BSP_SCHEDULE_DELAY: '100',
  });
  t.truthy((await relay.apply()).providerId);

  // OTLP protobuf carries ids as raw bytes and names as UTF-8: the export holds the caller's trace id, the
  // service name from OTEL_SERVICE_NAME, the relay's server span and its ECI call with the action.
  const traceId = Buffer.from(TRACE_ID, 'hex');
  const joined = () => exports.find((e) => e.body.includes(traceId) && e.body.includes('CreateContainerGroup'));
  await eventually('the relay exported the joined trace', () => !!joined(), 30_000, 50);
  const e = joined()!;
  t.is(e.path, '/v1/traces');
  t.is(e.type, 'application/x-protobuf');
  for (const s of ['relay-under-test', 'ecigw.tunnel.v1.Tunnel/ApplyPod', 'ecigw.provider.apply', 'ECI CreateContainerGroup', 'ecigw.eci.result_code']) t.true(e.body.includes(s), s);
});

test('a collector that refuses connections fails no call: the relay logs the failed export and keeps serving', async (t) => {
  const closed = await freePort(); // nothing listens there
  const relay = await relayCli(t, { OTEL_TRACES_EXPORTER: 'otlp', OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${closed}`, OTEL_BSP_SCHEDULE_DELAY: '100', OTEL_EXPORTER_OTLP_TIMEOUT: '2000' });
  t.truthy((await relay.apply()).providerId);
  await eventually('the relay tried to export and logged the failure', () => /opentelemetry: .*ECONNREFUSED/.test(relay.out.stderr), 30_000, 50);
  t.notRegex(relay.out.stderr, /before async attributes settled/, 'the resource was complete before the first span');
  t.truthy((await relay.apply()).providerId, 'still serving after the failed export');
});
