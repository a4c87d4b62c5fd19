// Property tests of the retry policy and error classification with random error sequences (no network):
// attempts never exceed the bound, permanent errors stop at once, the total-time bound holds, and
// classification never throws on arbitrary thrown values.
import test from 'ava';
import { randomInt } from 'node:crypto';
import { classify, errorCodeOf, withRetry } from '../../../cloud/eci/retry.js';

const transient = () => [
  Object.assign(new Error('Throttling.User: code: 400'), { code: 'Throttling.User', statusCode: 400 }),
  Object.assign(new Error('x'), { code: 'Throttling', statusCode: 429 }),
  Object.assign(new Error('InternalError'), { code: 'InternalError', statusCode: 500 }),
  Object.assign(new Error('ServiceUnavailable'), { code: 'ServiceUnavailable', statusCode: 503 }),
  Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:1'), { code: 'ECONNREFUSED' }),
  Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' }),
  Object.assign(new Error('ReadTimeout(3000)'), { name: 'RequestTimeoutError' }),
  new SyntaxError('Unexpected token < in JSON'),
][randomInt(8)];
const permanent = () => [
  Object.assign(new Error('InvalidParameter'), { code: 'InvalidParameter', statusCode: 400 }),
  Object.assign(new Error('no stock'), { code: 'RecommendEmpty.InstanceTypeNoStock', statusCode: 400 }),
  Object.assign(new Error('quota'), { code: 'QuotaExceeded.ContainerGroupCount', statusCode: 400 }),
  Object.assign(new Error('denied'), { code: 'Forbidden.RAM', statusCode: 403 }),
][randomInt(4)];

test('transient errors are retryable, permanent ones are not', (t) => {
  for (let i = 0; i < 200; i++) {
    t.true(classify(transient()).retryable);
    const p = classify(permanent());
    t.false(p.retryable);
    t.true(p.permanent);
  }
});

test('classification and error codes never throw on arbitrary values', (t) => {
  const junk = [undefined, null, 0, 'x', {}, [], { code: 5 }, { statusCode: '500' }, { name: 7 }, new Error('plain'), Symbol('s')];
  for (const j of junk) {
    t.notThrows(() => classify(j));
    t.is(typeof errorCodeOf(j), 'string');
  }
});

test('random failure sequences: attempts stay within the bound and results are right', async (t) => {
  for (let run = 0; run < 60; run++) {
    const maxAttempts = 1 + randomInt(6);
    const seq = Array.from({ length: 8 }, () => (randomInt(4) === 0 ? 'ok' : randomInt(3) === 0 ? 'perm' : 'tmp'));
    let calls = 0;
    const out = await withRetry(
      (attempt) => {
        t.is(attempt, ++calls);
        const k = seq[attempt - 1];
        return k === 'ok' ? Promise.resolve('ok') : Promise.reject(k === 'perm' ? permanent() : transient());
      },
      { maxAttempts, baseDelayMs: 1, maxDelayMs: 2, maxTotalMs: 10_000 },
    ).catch(() => 'failed');
    t.true(calls <= maxAttempts);
    const firstStop = seq.findIndex((k) => k !== 'tmp');
    const expectedCalls = Math.min(maxAttempts, firstStop === -1 ? Infinity : firstStop + 1);
    t.is(calls, expectedCalls, `seq ${seq.join(',')} max ${maxAttempts}`);
    t.is(out, calls - 1 === firstStop && seq[firstStop] === 'ok' ? 'ok' : 'failed');
  }
});

test('no retry starts after the total-time bound', async (t) => {
  let now = 0;
  let calls = 0;
  await t.throwsAsync(
    withRetry(
      () => {
        calls++;
        now += 400; // each attempt "takes" 400 ms on the injected clock
        return Promise.reject(transient());
      },
      { maxAttempts: 100, baseDelayMs: 1, maxDelayMs: 1, maxTotalMs: 1000 },
      { now: () => now },
    ),
  );
  t.is(calls, 3);
});
