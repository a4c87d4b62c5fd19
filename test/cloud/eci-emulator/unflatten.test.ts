// Fuzz: random nested request trees flattened by the SDK's own flattener (openapi-util query) must un-flatten
// back to the same tree (null array items dropped, gaps compacted); random garbage keys never crash the parser.
import test from 'ava';
import OpenApiUtil from '@alicloud/openapi-util';
import { FlattenError, unflatten, type FlatTree } from '../../../cloud/eci-emulator/unflatten.js';

const Util = ((OpenApiUtil as unknown as { default?: typeof OpenApiUtil }).default ?? OpenApiUtil) as unknown as { query(f: Record<string, unknown>): Record<string, string> };

let seed = 0x12345678;
const rnd = (): number => {
  seed ^= seed << 13;
  seed ^= seed >>> 17;
  seed ^= seed << 5;
  return (seed >>> 0) / 2 ** 32;
};
const pick = <T>(a: T[]): T => a[Math.floor(rnd() * a.length)];
const NAMES = ['Container', 'Name', 'Image', 'EnvironmentVar', 'Key', 'Value', 'Port', 'Tag', 'Volume', 'Hostname', 'FieldRef', 'X'];
const VALUES = ['a', '', 'x y=z&', "it's (x)*!", '0.5', 'true', '%41', '中文', 'a.b.c', '1', '["j","s"]'];

type Gen = unknown;
function gen(depth: number): Gen {
  const r = rnd();
  if (depth > 3 || r < 0.35) return pick(VALUES);
  if (r < 0.65) {
    const n = Math.floor(rnd() * 5);
    return Array.from({ length: n }, () => (rnd() < 0.2 ? null : gen(depth + 1)));
  }
  const o: Record<string, Gen> = {};
  const n = 1 + Math.floor(rnd() * 4);
  for (let i = 0; i < n; i++) o[pick(NAMES)] = rnd() < 0.1 ? undefined : gen(depth + 1);
  return o;
}

/** What the tree looks like after a flatten/unflatten round trip: nulls and empty containers vanish. */
function expected(v: Gen): FlatTree | undefined {
  if (v === null || v === undefined) return undefined;
  if (Array.isArray(v)) {
    const items = v.map(expected).filter((x): x is FlatTree => x !== undefined);
    return items.length ? items : undefined;
  }
  if (typeof v === 'object') {
    const out: Record<string, FlatTree> = {};
    for (const [k, x] of Object.entries(v as Record<string, Gen>)) {
      const e = expected(x);
      if (e !== undefined) out[k] = e;
    }
    return Object.keys(out).length ? out : undefined;
  }
  if (typeof v === 'string') return v; // the generator's leaves are strings (VALUES)
  throw new Error(`unexpected leaf ${typeof v}`);
}

const plain = (v: unknown): unknown => JSON.parse(JSON.stringify(v));

test('SDK-flattened random trees round-trip through unflatten', (t) => {
  for (let i = 0; i < 2000; i++) {
    const tree: Record<string, Gen> = { Root: gen(0), RegionId: 'cn-hangzhou' };
    const flat = Util.query(tree);
    // the wire goes through URL encoding, as the SDK sends it
    const wire = new URLSearchParams(new URLSearchParams(flat).toString());
    const got = unflatten(wire);
    t.deepEqual(plain(got), plain(expected(tree) ?? {}), `case ${i}: ${JSON.stringify(flat)}`);
  }
});

test('gaps in indices are compacted in numeric (not lexical) order', (t) => {
  const got = unflatten([
    ['A.10.Name', 'ten'],
    ['A.2.Name', 'two'],
    ['A.9.Name', 'nine'],
  ]);
  t.deepEqual(plain(got), { A: [{ Name: 'two' }, { Name: 'nine' }, { Name: 'ten' }] });
});

test('random garbage keys either parse or raise FlattenError, never anything else', (t) => {
  const alphabet = ['A', 'B', '1', '2', '0', '.', '.', '__proto__', 'constructor', '01', '999999', ''];
  let parsed = 0;
  let refused = 0;
  for (let i = 0; i < 5000; i++) {
    const entries: [string, string][] = Array.from({ length: 1 + Math.floor(rnd() * 6) }, () => [
      Array.from({ length: 1 + Math.floor(rnd() * 6) }, () => pick(alphabet)).join(''),
      pick(VALUES),
    ]);
    try {
      const out = unflatten(entries);
      t.is((Object.getPrototypeOf({}) as { polluted?: unknown }).polluted, undefined);
      t.truthy(out);
      parsed++;
    } catch (e) {
      if (!(e instanceof FlattenError)) t.fail(`unexpected ${String(e)} for ${JSON.stringify(entries)}`);
      refused++;
    }
  }
  t.is(parsed + refused, 5000);
  t.true(parsed > 0 && refused > 0, `both outcomes were exercised (${parsed} parsed, ${refused} refused)`);
});

test('conflicting shapes are reported with the parameter name', (t) => {
  const e = t.throws(() => unflatten([['A', '1'], ['A.B', '2']]), { instanceOf: FlattenError });
  t.regex(e.message, /A\.B/);
});
