import test from 'ava';
import { roundUpToSpec, isSupportedSpec, qosClassOf, podTotal, containerResources, ECI_SPECS } from '../../../../cloud/eci/mapping/resources.js';
import { parseQuantity } from '../../../../common/quantity.js';
import { pod, container } from './fixtures.js';

const QUANTITIES: Array<[string, number | undefined]> = [
  ['250m', 0.25], ['1', 1], ['1.5', 1.5], ['0.1', 0.1], ['1Gi', 2 ** 30], ['1.5Gi', 1.5 * 2 ** 30], ['512Mi', 2 ** 29],
  ['1G', 1e9], ['100k', 1e5], ['1e3', 1000], ['2E', 2e18], ['100n', 1e-7], ['.5', 0.5],
  ['', undefined], ['abc', undefined], ['1Gib', undefined], ['1 Gi', undefined], ['--1', undefined],
];
for (const [q, want] of QUANTITIES) {
  test(`quantity "${q}"`, (t) => {
    const got = parseQuantity(q);
    if (want === undefined) t.is(got, undefined);
    else t.true(got !== undefined && Math.abs(got - want) <= want * 1e-12, `${got}`);
  });
}

test('quantity parser never throws on random input (fuzz)', (t) => {
  const alphabet = '0123456789.eE+-KMGTPimnuk i';
  let seed = 3;
  const rnd = (n: number) => { seed = (seed * 1103515245 + 12345) % 2 ** 31; return seed % n; };
  for (let i = 0; i < 2000; i++) {
    const s = Array.from({ length: rnd(8) }, () => alphabet[rnd(alphabet.length)]).join('');
    const v = parseQuantity(s);
    t.true(v === undefined || Number.isFinite(v), s);
  }
});

const ROUNDING: Array<[number, number, { cpu: number; memory: number } | undefined]> = [
  [0.1, 0.1, { cpu: 0.25, memory: 0.5 }],
  [0.25, 0.5, { cpu: 0.25, memory: 0.5 }],
  [0.25, 1.5, { cpu: 0.5, memory: 2 }],
  [1, 3, { cpu: 1, memory: 4 }],
  [1, 10, { cpu: 2, memory: 16 }],
  [1.5, 1, { cpu: 2, memory: 1 }],
  [7, 13, { cpu: 8, memory: 16 }],
  [8, 65, { cpu: 12, memory: 96 }],
  [40, 10, { cpu: 52, memory: 96 }],
  [64, 512, { cpu: 64, memory: 512 }],
  [65, 1, undefined],
  [1, 513, undefined],
  [0, 0, { cpu: 0.25, memory: 0.5 }],
];
for (const [cpu, mem, want] of ROUNDING) {
  test(`spec rounding ${cpu} vCPU / ${mem} GiB`, (t) => {
    const got = roundUpToSpec(cpu, mem);
    t.deepEqual(got, want);
    if (got) t.true(isSupportedSpec(got.cpu, got.memory));
  });
}

test('every table spec rounds to itself', (t) => {
  for (const s of ECI_SPECS) for (const m of s.memory) t.deepEqual(roundUpToSpec(s.cpu, m), { cpu: s.cpu, memory: m });
});

test('container resources prefer limits, convert to cores/GiB, ceil gpus; pod total is max(sum, init max)', (t) => {
  const bad: string[] = [];
  const a = containerResources(container({ resources: { requests: { cpu: '250m', memory: '256Mi' }, limits: { cpu: '500m', memory: '1Gi', 'nvidia.com/gpu': '1' } } }), (p) => bad.push(p.resource));
  t.deepEqual(a, { cpu: 0.5, memory: 1, gpu: 1 });
  const b = containerResources(container({ resources: { requests: { cpu: '1500m', memory: 'oops' } } }), (p) => bad.push(p.resource));
  t.deepEqual(b, { cpu: 1.5, memory: undefined, gpu: undefined });
  t.deepEqual(bad, ['memory']);
  const total = podTotal([a, b], [{ cpu: 4, memory: 0.5 }]);
  t.is(total.cpu, 4);
  t.is(total.memory, 1);
  t.is(total.gpu, 1);
  t.deepEqual(total.declared, { cpu: true, memory: true });
  t.deepEqual(podTotal([{}], []).declared, { cpu: false, memory: false });
});

const QOS: Array<[string, Parameters<typeof container>[0][], 'Guaranteed' | 'Burstable' | 'BestEffort']> = [
  ['no resources', [{}], 'BestEffort'],
  ['limits only (requests default to limits)', [{ resources: { limits: { cpu: '1', memory: '1Gi' } } }], 'Guaranteed'],
  ['equal requests and limits', [{ resources: { requests: { cpu: '1', memory: '1Gi' }, limits: { cpu: '1000m', memory: '1Gi' } } }], 'Guaranteed'],
  ['requests below limits', [{ resources: { requests: { cpu: '500m', memory: '1Gi' }, limits: { cpu: '1', memory: '1Gi' } } }], 'Burstable'],
  ['cpu limit only', [{ resources: { limits: { cpu: '1' } } }], 'Burstable'],
  ['one guaranteed, one empty', [{ resources: { limits: { cpu: '1', memory: '1Gi' } } }, { name: 'b' }], 'Burstable'],
  ['only gpu', [{ resources: { limits: { 'nvidia.com/gpu': '1' } } }], 'BestEffort'],
];
for (const [name, cs, want] of QOS) {
  test(`qos: ${name}`, (t) => {
    t.is(qosClassOf(pod({ containers: cs.map((c, i) => container({ name: `c${i}`, ...c })) })), want);
  });
}
