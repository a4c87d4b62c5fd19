// Pure protocol pieces of the kubelet API: path→node subresource mapping, routing, log options,
// protocol negotiation, the exit-status JSON kubectl parses, the resize stream parser (fuzzed over
// random splits) and the /metrics/resource text metrics-server reads.
import test from 'ava';
import { nodeAttributes } from '../../../agent/kubelet-api/auth.js';
import { route, parseLogOptions, negotiate } from '../../../agent/kubelet-api/routes.js';
import { exitStatusJson, parseStreamOptions } from '../../../agent/kubelet-api/remotecommand.js';
import { ResizeParser } from '../../../agent/kubelet-api/channels.js';
import { pairKey, parsePort, MAX_REQUEST_ID_LENGTH } from '../../../agent/kubelet-api/portforward.js';
import { renderResourceMetrics } from '../../../agent/kubelet-api/resource-metrics.js';
import type { TerminalSize } from '../../../agent/kubelet-api/backend.js';

test('paths map to node subresources like the 1.37 kubelet (fine-grained authz first, proxy fallback)', (t) => {
  t.deepEqual(nodeAttributes('GET', '/stats/summary'), { verb: 'get', subresources: ['stats'] });
  t.deepEqual(nodeAttributes('GET', '/metrics/resource'), { verb: 'get', subresources: ['metrics'] });
  t.deepEqual(nodeAttributes('GET', '/logs/'), { verb: 'get', subresources: ['log'] });
  t.deepEqual(nodeAttributes('POST', '/checkpoint/ns/p/c'), { verb: 'create', subresources: ['checkpoint'] });
  t.deepEqual(nodeAttributes('GET', '/pods'), { verb: 'get', subresources: ['pods', 'proxy'] });
  t.deepEqual(nodeAttributes('GET', '/healthz'), { verb: 'get', subresources: ['healthz', 'proxy'] });
  t.deepEqual(nodeAttributes('POST', '/exec/ns/p/c'), { verb: 'create', subresources: ['proxy'] });
  t.deepEqual(nodeAttributes('GET', '/containerLogs/ns/p/c'), { verb: 'get', subresources: ['proxy'] });
  t.deepEqual(nodeAttributes('GET', '/statsfoo'), { verb: 'get', subresources: ['proxy'] });
});

test('routes: exec/attach with and without pod UID, portForward, logs; junk is unrouted', (t) => {
  t.deepEqual(route('/exec/ns/p/c'), { kind: 'exec', namespace: 'ns', pod: 'p', container: 'c' });
  t.deepEqual(route('/attach/ns/p/uid-1/c'), { kind: 'attach', namespace: 'ns', pod: 'p', uid: 'uid-1', container: 'c' });
  t.deepEqual(route('/portForward/ns/p'), { kind: 'portForward', namespace: 'ns', pod: 'p' });
  t.deepEqual(route('/containerLogs/ns/p/c'), { kind: 'containerLogs', namespace: 'ns', pod: 'p', container: 'c' });
  t.deepEqual(route('/stats/summary'), { kind: 'statsSummary' });
  t.is(route('/exec/ns/p'), undefined);
  t.is(route('/exec/%E0%A4%A/p/c'), undefined);
  t.is(route('/nope'), undefined);
});

test('log options are validated like the apiserver does', (t) => {
  t.deepEqual(parseLogOptions(new URLSearchParams('follow=true&tailLines=10&timestamps=true&limitBytes=5')), {
    follow: true, previous: undefined, timestamps: true, tailLines: 10, limitBytes: 5, sinceSeconds: undefined,
  });
  t.throws(() => parseLogOptions(new URLSearchParams('tailLines=-1')), { message: /tailLines/ });
  t.throws(() => parseLogOptions(new URLSearchParams('limitBytes=0')), { message: /limitBytes/ });
  t.throws(() => parseLogOptions(new URLSearchParams('sinceSeconds=10&sinceTime=2024-01-01T00:00:00Z')), { message: /at most one/ });
  t.throws(() => parseLogOptions(new URLSearchParams('sinceTime=yesterday')), { message: /RFC3339/ });
  t.throws(() => parseLogOptions(new URLSearchParams('follow=maybe')), { message: /boolean/ });
});

test('stream options: tty drops stderr; at least one stream', (t) => {
  t.deepEqual(parseStreamOptions(new URLSearchParams('input=1&output=1&error=1&tty=1')), { stdin: true, stdout: true, stderr: false, tty: true });
  t.is(typeof parseStreamOptions(new URLSearchParams('tty=1')), 'string');
});

test('protocol negotiation picks the first client protocol the server supports', (t) => {
  const server = ['v4.channel.k8s.io', 'v3.channel.k8s.io', 'channel.k8s.io'];
  t.deepEqual(negotiate('v5.channel.k8s.io, v4.channel.k8s.io,v3.channel.k8s.io', server), { protocol: 'v4.channel.k8s.io' });
  t.deepEqual(negotiate(['channel.k8s.io', 'v4.channel.k8s.io'], server), { protocol: 'channel.k8s.io' });
  t.deepEqual(negotiate(undefined, server), { protocol: '' });
  t.true('error' in negotiate('v9.channel.k8s.io', server));
});

test('exit status JSON has the exact shape the kubelet writes (kubectl reads the ExitCode cause)', (t) => {
  t.is(exitStatusJson({ exitCode: 0 }), '{"metadata":{},"status":"Success"}');
  t.is(
    exitStatusJson({ exitCode: 3 }),
    '{"metadata":{},"status":"Failure","message":"command terminated with non-zero exit code: exit status 3","reason":"NonZeroExitCode","details":{"causes":[{"reason":"ExitCode","message":"3"}]}}',
  );
  t.regex(exitStatusJson({ exitCode: -1, error: 'no such file' }), /"reason":"InternalError".*"code":500/);
});

test('fuzz: resize messages split at random points all arrive; junk is dropped', (t) => {
  let seed = 12345;
  const rnd = (n: number) => {
    seed = (seed * 1103515245 + 12345) & 0x7fffffff;
    return seed % n;
  };
  for (let round = 0; round < 200; round++) {
    const sizes: TerminalSize[] = Array.from({ length: 1 + rnd(5) }, () => ({ cols: rnd(500), rows: rnd(200) }));
    const text = sizes.map((s) => JSON.stringify({ Width: s.cols, Height: s.rows }) + (rnd(2) ? '\n' : '')).join('') + '{"Width":"x"}{bad json}';
    const got: TerminalSize[] = [];
    const p = new ResizeParser((s) => got.push(s));
    for (let off = 0; off < text.length; ) {
      const n = 1 + rnd(20);
      p.push(text.slice(off, off + n));
      off += n;
    }
    t.deepEqual(got, sizes);
  }
  const p = new ResizeParser(() => t.fail());
  p.push('{' + 'x'.repeat(10_000));
  p.push('"Width":1,"Height":1}');
});

test('/metrics/resource carries the series metrics-server decodes, with millisecond timestamps', (t) => {
  const time = '2026-01-02T03:04:05Z';
  const text = renderResourceMetrics({
    node: { nodeName: 'n', startTime: time, cpu: { time, usageCoreNanoSeconds: 2.5e9 }, memory: { time, workingSetBytes: 1024 } },
    pods: [{
      podRef: { name: 'p', namespace: 'ns', uid: 'u' },
      startTime: time,
      cpu: { time, usageCoreNanoSeconds: 1e9 },
      memory: { time, workingSetBytes: 512 },
      containers: [{ name: 'c', startTime: time, cpu: { time, usageCoreNanoSeconds: 1e9 }, memory: { time, workingSetBytes: 512 } }],
    }],
  });
  const ms = Date.parse(time);
  t.true(text.includes(`node_cpu_usage_seconds_total 2.5 ${ms}\n`));
  t.true(text.includes(`node_memory_working_set_bytes 1024 ${ms}\n`));
  t.true(text.includes(`container_cpu_usage_seconds_total{container="c",namespace="ns",pod="p"} 1 ${ms}\n`));
  t.true(text.includes(`container_memory_working_set_bytes{container="c",namespace="ns",pod="p"} 512 ${ms}\n`));
  t.true(text.includes(`container_start_time_seconds{container="c",namespace="ns",pod="p"} ${ms / 1000} ${ms}\n`));
  t.true(text.includes(`pod_cpu_usage_seconds_total{namespace="ns",pod="p"} 1 ${ms}\n`));
  t.true(text.includes(`pod_memory_working_set_bytes{namespace="ns",pod="p"} 512 ${ms}\n`));
  t.true(text.includes('scrape_error 0\n'));
  t.true(renderResourceMetrics(undefined).includes('scrape_error 1\n'));
});

test('port-forward pairing keys and ports: requestID as sent (bounded, printable), else the kubelet\'s stream-id pairing', (t) => {
  t.is(pairKey(undefined, 'error', 5), '5');
  t.is(pairKey('', 'data', 7), '5');
  t.is(pairKey('12', 'data', 7), '12');
  t.is(pairKey('x'.repeat(MAX_REQUEST_ID_LENGTH), 'error', 1), 'x'.repeat(MAX_REQUEST_ID_LENGTH));
  t.is(pairKey('x'.repeat(MAX_REQUEST_ID_LENGTH + 1), 'data', 7), undefined);
  t.is(pairKey('a b', 'data', 7), undefined);
  t.deepEqual(['1', '80', '65535', '08080'].map(parsePort), [1, 80, 65535, 8080]);
  t.deepEqual(['0', '65536', '-1', ' 80', '80a', '', '123456', undefined].map(parsePort), Array(8).fill(undefined));
});
