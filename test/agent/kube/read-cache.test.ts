// The short-lived read cache: shared in-flight reads, reuse within the TTL, failures never kept.
import test from 'ava';
import { ReadCache } from '../../../agent/kube/read-cache.js';

function clock() {
  let t = 1_000;
  return { now: () => t, advance: (ms: number) => (t += ms) };
}

test('overlapping reads of one key share one load', async (t) => {
  const c = new ReadCache<string>(2000);
  let loads = 0;
  let release!: (v: string) => void;
  const load = () => (loads++, new Promise<string>((r) => (release = r)));
  const a = c.get('ns/x', load);
  const b = c.get('ns/x', load);
  release('v1');
  t.deepEqual(await Promise.all([a, b]), ['v1', 'v1']);
  t.is(loads, 1);
});

test('a value is reused within the TTL and read again after it', async (t) => {
  const clk = clock();
  const c = new ReadCache<number>(2000, 1024, clk.now);
  let loads = 0;
  const load = () => Promise.resolve(++loads);
  t.is(await c.get('k', load), 1);
  clk.advance(1999);
  t.is(await c.get('k', load), 1);
  clk.advance(1);
  t.is(await c.get('k', load), 2);
  t.is(await c.get('other', load), 3, 'keys are separate');
});

test('a failed read (NotFound included) is not cached', async (t) => {
  const c = new ReadCache<string>(60_000);
  let loads = 0;
  const failing = () => (loads++, Promise.reject(Object.assign(new Error('not found'), { code: 404 })));
  await t.throwsAsync(c.get('k', failing), { message: 'not found' });
  await Promise.resolve();
  t.is(await c.get('k', () => (loads++, Promise.resolve('created since'))), 'created since');
  t.is(loads, 2);
});

test('expired entries are swept once the cache holds more than its bound', async (t) => {
  const clk = clock();
  const c = new ReadCache<number>(1000, 10, clk.now);
  for (let i = 0; i < 10; i++) await c.get(`k${i}`, () => Promise.resolve(i));
  t.is(c.size, 10);
  clk.advance(1000);
  await c.get('fresh', () => Promise.resolve(99));
  t.is(c.size, 1);
});
