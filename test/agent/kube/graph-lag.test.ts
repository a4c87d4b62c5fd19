// Which API answers mean "the API server has not seen this pod's binding yet" (retried), and that only
// those are retried, a bounded number of times. The errors carry the API server's real messages (the
// Node authorizer's and NodeRestriction's texts in k8s.io/kubernetes v1.37).
import test from 'ava';
import { ApiException } from '@kubernetes/client-node';
import { isBindingLag, retryBindingLag } from '../../../agent/kube/graph-lag.js';

const apiError = (code: number, message: string) => new ApiException(code, 'HTTP-Code: ' + code, JSON.stringify({ kind: 'Status', message, code }), {});

const cases: [string, Error, boolean][] = [
  ['graph has no edge yet', apiError(403, 'secrets "s" is forbidden: User "system:node:vn" cannot get resource "secrets" in API group "" in the namespace "ns": no relationship found between node \'vn\' and this object'), true],
  ['unknown node in the graph', apiError(403, 'configmaps "c" is forbidden: User "system:node:vn" cannot get resource "configmaps": no relationship found between node \'vn\' and this object'), true],
  ['NodeRestriction: pod not bound here yet', apiError(403, 'serviceaccounts "sa" is forbidden: node requested token bound to a pod scheduled on a different node'), true],
  ['NodeRestriction: pod not in its cache yet', apiError(404, 'pod "p" not found'), true],
  ['plain RBAC denial', apiError(403, 'secrets "s" is forbidden: User "system:serviceaccount:a:b" cannot get resource "secrets" in API group "" in the namespace "ns"'), false],
  ['a missing secret', apiError(404, 'secrets "s" not found'), false],
  ['a missing service account', apiError(404, 'serviceaccounts "sa" not found'), false],
  ['server error', apiError(500, 'etcdserver: request timed out'), false],
  ['not an API error', new Error('socket hang up'), false],
];

for (const [what, e, lag] of cases) {
  test(`isBindingLag: ${what} → ${lag}`, (t) => t.is(isBindingLag(e), lag));
}

test('retryBindingLag retries lag answers until the call succeeds', async (t) => {
  let calls = 0;
  const retried: number[] = [];
  const v = await retryBindingLag(
    () => (++calls < 3 ? Promise.reject(cases[0][1]) : Promise.resolve('secret')),
    { startingDelayMs: 1, maxDelayMs: 2, onRetry: (_e, n) => retried.push(n) },
  );
  t.is(v, 'secret');
  t.is(calls, 3);
  t.deepEqual(retried, [1, 2]);
});

test('retryBindingLag gives up after its attempts, and does not retry other errors at all', async (t) => {
  let calls = 0;
  await t.throwsAsync(retryBindingLag(() => (calls++, Promise.reject(cases[0][1])), { attempts: 4, startingDelayMs: 1, maxDelayMs: 2 }), { instanceOf: ApiException });
  t.is(calls, 4);
  calls = 0;
  await t.throwsAsync(retryBindingLag(() => (calls++, Promise.reject(cases[4][1])), { startingDelayMs: 1 }));
  t.is(calls, 1, 'an RBAC denial is final');
});
