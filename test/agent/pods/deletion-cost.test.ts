// deletionCostToWrite and checkDeletionCost: which pods get the scale-in cost, and which configured costs
// the API server would accept.
import test from 'ava';
import { DELETION_COST_ANNOTATION, checkDeletionCost, deletionCostToWrite } from '../../../agent/pods/deletion-cost.js';

const writes: { name: string; annotations: Record<string, string> | undefined; cost: number | undefined; want: string | undefined }[] = [
  { name: 'a pod without annotations gets the cost', annotations: undefined, cost: -1000, want: '-1000' },
  { name: 'other annotations do not matter', annotations: { 'ecigw.io/container-group-id': 'eci-1' }, cost: -5, want: '-5' },
  { name: 'marking off: nothing', annotations: undefined, cost: undefined, want: undefined },
  { name: 'the template set one: kept', annotations: { [DELETION_COST_ANNOTATION]: '50' }, cost: -1000, want: undefined },
  { name: 'already ours: no second write', annotations: { [DELETION_COST_ANNOTATION]: '-1000' }, cost: -1000, want: undefined },
  { name: 'an empty value someone set is theirs too', annotations: { [DELETION_COST_ANNOTATION]: '' }, cost: -1000, want: undefined },
  { name: 'zero is a cost', annotations: {}, cost: 0, want: '0' },
];
for (const c of writes) test(`deletionCostToWrite: ${c.name}`, (t) => t.is(deletionCostToWrite(c.annotations, c.cost), c.want));

const checks: { value: unknown; ok: boolean }[] = [
  { value: -1000, ok: true },
  { value: 0, ok: true },
  { value: 2147483647, ok: true },
  { value: -2147483648, ok: true },
  { value: 2147483648, ok: false },
  { value: -2147483649, ok: false },
  { value: 1.5, ok: false },
  { value: Number.NaN, ok: false },
  { value: '-1000', ok: false },
];
for (const c of checks) test(`checkDeletionCost(${String(c.value)}) ${c.ok ? 'accepts' : 'refuses'}`, (t) => t.is(checkDeletionCost(c.value) === undefined, c.ok));
