// Pure parts of the sessions: the exec close -> ExitStatus rule and control frames, error classification,
// and ECI metric records -> PodStats.
import test from 'ava';
import fc from 'fast-check';
import { exitFromClose, EXIT_CODE_UNKNOWN, NON_ZERO_EXIT } from '../../../../cloud/eci/sessions/exec-ws.js';
import { EXEC_CHANNEL, channelFrame, closeStdinFrame, exitReason, parseChannelFrame, parseControlFrame, resizeFrame } from '../../../../cloud/eci/sessions/exec-framing.js';
import { batches, newestRecord, podStatsFrom } from '../../../../cloud/eci/sessions/metrics.js';
import { sessionError, isTransientEciError } from '../../../../cloud/eci/sessions/errors.js';

test('exit status from the WebSocket close', (t) => {
  t.deepEqual(exitFromClose(1000, '{"exitCode":0}'), { code: 0, reason: '', message: '' });
  t.like(exitFromClose(1000, '{"exitCode":3}'), { code: 3, reason: NON_ZERO_EXIT });
  t.like(exitFromClose(1000, ''), { code: 0, reason: EXIT_CODE_UNKNOWN });
  t.like(exitFromClose(1005, ''), { code: 0, reason: EXIT_CODE_UNKNOWN });
  t.like(exitFromClose(1000, '{"exitCode":"3"}'), { code: 0, reason: EXIT_CODE_UNKNOWN }, 'a non-number is not an exit code');
  t.like(exitFromClose(1000, '{"exitCode":1.5}'), { reason: EXIT_CODE_UNKNOWN });
  t.is(exitFromClose(1006, ''), undefined);
  t.is(exitFromClose(1011, '{"exitCode":0}'), undefined, 'an error close is never an exit');
});

test('exitFromClose never throws on arbitrary reasons (fuzz)', (t) => {
  let seed = 7;
  const rnd = () => ((seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff);
  const alphabet = '{}[]":,0123456789exitCode nul-.eE+';
  for (let i = 0; i < 2000; i++) {
    const len = Math.floor(rnd() * 30);
    let s = '';
    for (let j = 0; j < len; j++) s += alphabet[Math.floor(rnd() * alphabet.length)];
    const st = exitFromClose(1000, s);
    t.truthy(st);
    t.true(Number.isInteger(st!.code));
  }
});

test('control frames are the documented JSON', (t) => {
  t.deepEqual(JSON.parse(resizeFrame({ cols: 100, rows: 40 })), { op: 'resize', cols: 100, rows: 40 });
  t.deepEqual(JSON.parse(closeStdinFrame()), { op: 'close-stdin' });
});
test('channel frames: the first byte is the channel, the rest is the payload, byte for byte', (t) => {
  t.deepEqual([...channelFrame(EXEC_CHANNEL.stdout, Buffer.from('ab'))], [1, 97, 98]);
  t.deepEqual([...channelFrame(EXEC_CHANNEL.stdin, Buffer.alloc(0))], [0]);
  t.is(parseChannelFrame(Buffer.alloc(0)), undefined, 'an empty message has no channel');
  t.deepEqual(parseChannelFrame(Buffer.from([2])), { channel: 2, payload: Buffer.alloc(0) });
  fc.assert(
    fc.property(fc.constantFrom(0, 1, 2, 3, 255), fc.uint8Array({ maxLength: 2048 }), (channel, bytes) => {
      const parsed = parseChannelFrame(channelFrame(channel, Buffer.from(bytes)));
      return parsed?.channel === channel && Buffer.compare(parsed.payload, Buffer.from(bytes)) === 0;
    }),
  );
});

test('control frames: what the client sends parses back; anything else is not a control frame', (t) => {
  t.deepEqual(parseControlFrame(resizeFrame({ cols: 120, rows: 30 })), { op: 'resize', cols: 120, rows: 30 });
  t.deepEqual(parseControlFrame(closeStdinFrame()), { op: 'close-stdin' });
  for (const bad of ['', 'null', '[]', '"resize"', '{"op":"resize","cols":0,"rows":5}', '{"op":"resize","cols":1.5,"rows":5}', '{"op":"resize","cols":70000,"rows":5}', '{"op":"resize","cols":"80","rows":24}', '{"op":"kill"}', '{'])
    t.is(parseControlFrame(bad), undefined, bad);
  fc.assert(fc.property(fc.string({ maxLength: 200 }), (text) => (parseControlFrame(text), true)));
  t.deepEqual(exitFromClose(1000, exitReason(7)), { code: 7, reason: NON_ZERO_EXIT, message: 'command terminated with non-zero exit code 7' });
});


test('SDK errors become ProviderErrors with the right code', (t) => {
  t.is(sessionError({ code: 'IncorrectStatus', statusCode: 400, message: 'x' }, 'exec').code, 'FAILED_PRECONDITION');
  t.is(sessionError({ code: 'Throttling.User', statusCode: 400 }, 'logs').code, 'RESOURCE_EXHAUSTED');
  t.is(sessionError({ code: 'InvalidParameter.NotFound', statusCode: 404 }, 'logs').code, 'NOT_FOUND');
  t.is(sessionError({ code: 'InvalidParameter', statusCode: 400 }, 'logs').code, 'INVALID_ARGUMENT');
  t.is(sessionError({ code: 'ECONNREFUSED' }, 'logs').code, 'UNAVAILABLE');
  t.is(sessionError({ code: 'InternalError', statusCode: 500 }, 'logs').code, 'UNAVAILABLE');
  t.true(sessionError({ code: 'Throttling.User', statusCode: 400 }, 'logs of c').message.startsWith('logs of c: '));
  t.true(isTransientEciError({ code: 'Throttling.User', statusCode: 400 }));
  t.true(isTransientEciError({ code: 'ServiceUnavailable', statusCode: 503 }));
  t.false(isTransientEciError({ code: 'IncorrectStatus', statusCode: 400 }));
  t.false(isTransientEciError({ code: 'InvalidParameter', statusCode: 400 }));
});

test('metric records -> PodStats: newest record, per container, summed network', (t) => {
  const id = { uid: 'u1', namespace: 'ns', name: 'p' };
  const records = [
    { timestamp: '2024-01-01T00:00:05Z', containers: [{ name: 'old', CPU: { usageNanoCores: 1 } }] },
    {
      timestamp: '2024-01-01T00:00:10Z',
      network: { interfaces: [{ rxBytes: 10, txBytes: 1 }, { rxBytes: 5, txBytes: 2 }] },
      containers: [
        { name: 'app', CPU: { usageNanoCores: 250_000_000, usageCoreNanoSeconds: 9e9 }, memory: { workingSet: 1024, usageBytes: 4096, rss: 2048 } },
        { name: '', CPU: { usageNanoCores: 5 } },
        { name: 'side', memory: { workingSet: -1 } },
      ],
    },
  ];
  t.deepEqual(podStatsFrom(id, records), {
    uid: 'u1',
    namespace: 'ns',
    name: 'p',
    time: '2024-01-01T00:00:10.000Z',
    containers: [
      { name: 'app', cpuUsageNanoCores: 250_000_000, cpuUsageCoreNanoSeconds: 9e9, memoryWorkingSetBytes: 1024, memoryUsageBytes: 4096, memoryRssBytes: 2048 },
      { name: 'side', cpuUsageNanoCores: 0, cpuUsageCoreNanoSeconds: 0, memoryWorkingSetBytes: 0, memoryUsageBytes: 0, memoryRssBytes: 0 },
    ],
    networkRxBytes: 15,
    networkTxBytes: 3,
  });
  t.is(podStatsFrom(id, []), undefined);
  t.is(newestRecord([{ timestamp: 'bad' }, { timestamp: '2024-01-01T00:00:00Z' }])?.timestamp, '2024-01-01T00:00:00Z');
  t.deepEqual(batches([1, 2, 3, 4, 5], 2), [[1, 2], [3, 4], [5]]);
  t.deepEqual(batches([], 20), []);
});
