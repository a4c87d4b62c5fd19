// Networking mode `tunnel`, outbound, in the ECI mapping: a pod of a tenant with egress gets the sidecar
// container (credential hidden, pod IP by FieldRef) and ClusterFirst DNS pointing at it, with its resources
// added to declared ones; pods that chose their own DNS, or name a container like the sidecar, do not.
import test from 'ava';
import { podToCreateRequest } from '../../../../cloud/eci/mapping/pod.js';
import { EGRESS_CONTAINER } from '../../../../cloud/eci/mapping/egress.js';
import { EGRESS_ENV } from '../../../../cloud/egress/env.js';
import type { EgressSidecar } from '../../../../cloud/pod-provider/provider.js';
import { container, input, mustOk, mustReject, pod } from './fixtures.js';

const egress: EgressSidecar = { relayAddress: 'relay.example.com:8445', image: 'registry.example.com/ecigw/egress:1', clusterDomain: 'cluster.local', upstreamDns: ['100.100.2.136', '100.100.2.138'], token: 'e1.x.y', caPem: '-----BEGIN CERTIFICATE-----' };

test('ClusterFirst: the sidecar container and DNS None pointing at it with the Kubernetes search path', (t) => {
  const { value } = mustOk(t, podToCreateRequest({ ...input(pod()), egress }));
  const side = value.container?.find((c) => c.name === EGRESS_CONTAINER);
  t.truthy(side);
  t.is(side?.image, egress.image);
  t.true(side?.environmentVarHide, 'the credential is hidden from DescribeContainerGroups');
  const env = new Map(side?.environmentVar?.map((e) => [e.key, e]));
  t.is(env.get(EGRESS_ENV.token)?.value, 'e1.x.y');
  t.is(env.get(EGRESS_ENV.namespace)?.value, 'shop');
  t.is(env.get(EGRESS_ENV.serverName)?.value, 'relay.example.com');
  t.is(env.get(EGRESS_ENV.upstreamDns)?.value, '100.100.2.136,100.100.2.138');
  t.is(env.get(EGRESS_ENV.podIP)?.fieldRef?.fieldPath, 'status.podIP');
  t.is(value.dnsPolicy, 'None');
  t.deepEqual(value.dnsConfig?.nameServer, ['127.0.0.1']);
  t.deepEqual(value.dnsConfig?.search, ['shop.svc.cluster.local', 'svc.cluster.local', 'cluster.local']);
  t.deepEqual(value.dnsConfig?.option?.map((o) => [o.name, o.value]), [['ndots', '5']]);
});

test('the sidecar counts toward declared resources only', (t) => {
  const declared = mustOk(t, podToCreateRequest({ ...input(pod({ containers: [container({ resources: { requests: { cpu: '1', memory: '2Gi' } } })] })), egress })).value;
  t.true((declared.cpu ?? 0) >= 1.25, `group cpu ${declared.cpu} has room for the sidecar`);
  const undeclared = mustOk(t, podToCreateRequest({ ...input(pod()), egress })).value;
  t.is(undeclared.cpu, undefined, 'no declarations: ECI defaults, as without the sidecar');
});

test('no sidecar for dnsPolicy Default/None (with a warning); a container named like it is refused', (t) => {
  const r = mustOk(t, podToCreateRequest({ ...input(pod({ dnsPolicy: 'Default' })), egress }));
  t.false(r.value.container?.some((c) => c.name === EGRESS_CONTAINER));
  t.true(r.warnings.some((w) => w.includes('dnsPolicy Default')));
  mustReject(t, podToCreateRequest({ ...input(pod({ containers: [container({ name: EGRESS_CONTAINER })] })), egress }), 'spec.containers[].name', [EGRESS_CONTAINER]);
});

test('without egress nothing changes', (t) => {
  const r = mustOk(t, podToCreateRequest(input(pod())));
  t.false(r.value.container?.some((c) => c.name === EGRESS_CONTAINER));
  t.is(r.value.dnsPolicy, 'Default');
});

test('the group lets the non-root sidecar bind port 53; a pod value that forbids it is warned about', (t) => {
  const r = mustOk(t, podToCreateRequest({ ...input(pod()), egress }));
  t.deepEqual(r.value.securityContext?.sysctl?.map((s) => [s.name, s.value]), [['net.ipv4.ip_unprivileged_port_start', '0']]);
  const own = mustOk(t, podToCreateRequest({ ...input(pod({ securityContext: { sysctls: [{ name: 'net.ipv4.ip_unprivileged_port_start', value: '1024' }] } })), egress }));
  t.true(own.warnings.some((w) => w.includes('port 53')));
  t.is(mustOk(t, podToCreateRequest(input(pod()))).value.securityContext, undefined, 'without egress: none');
});
