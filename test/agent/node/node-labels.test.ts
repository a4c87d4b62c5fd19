// Which node labels a node identity may not set on itself (NodeRestriction), table-tested against the
// rules of k8s.io/kubernetes v1.37 (plugin/pkg/admission/noderestriction, k8s.io/kubelet's kubelet labels).
import test from 'ava';
import { defaultNodeLabels, forbiddenNodeLabels } from '../../../agent/node/node-spec.js';

const cases: [string, boolean][] = [
  ['type', false],
  ['example.com/role', false],
  ['kubernetes.io/hostname', false],
  ['kubernetes.io/os', false],
  ['kubernetes.io/arch', false],
  ['beta.kubernetes.io/os', false],
  ['beta.kubernetes.io/instance-type', false],
  ['node.kubernetes.io/instance-type', false],
  ['node.kubernetes.io/anything', false],
  ['sub.node.kubernetes.io/x', false],
  ['kubelet.kubernetes.io/x', false],
  ['topology.kubernetes.io/region', false],
  ['topology.kubernetes.io/zone', false],
  ['failure-domain.beta.kubernetes.io/zone', false],
  ['kubernetes.io/role', true],
  ['node-role.kubernetes.io/control-plane', true],
  ['node-restriction.kubernetes.io/trusted', true],
  ['x.node-restriction.kubernetes.io/trusted', true],
  ['k8s.io/x', true],
  ['foo.k8s.io/x', true],
  ['topology.kubernetes.io/rack', true],
  ['kubernetes.io', false],
];

for (const [key, forbidden] of cases) {
  test(`${key}: ${forbidden ? 'forbidden' : 'allowed'}`, (t) => t.deepEqual(forbiddenNodeLabels([key]), forbidden ? [key] : []));
}

test('the agent\'s own default labels are all allowed', (t) => {
  t.deepEqual(forbiddenNodeLabels(Object.keys(defaultNodeLabels({ name: 'vn', os: 'linux', arch: 'amd64', region: 'r', zone: 'z' }))), []);
});
