// The pure mapping of inbound Service traffic: selection, target ports, unsupported features, slice names
// and the slices themselves (table-tested), with slice names checked as DNS subdomains for any input.
import test from 'ava';
import fc from 'fast-check';
import type { V1Pod, V1Service } from '@kubernetes/client-node';
import { carriedPorts, desiredSlices, podReady, selects, sliceName, sliceUpToDate, targetPortOf, unsupportedFeatures, SLICE_MANAGER, SLICE_NODE_LABEL } from '../../../agent/service-traffic/slices.js';

const pod = (o: { name?: string; uid?: string; ns?: string; labels?: Record<string, string>; ready?: boolean; deleting?: boolean; phase?: string; ports?: { name?: string; containerPort: number; protocol?: string }[] } = {}): V1Pod => ({
  metadata: { name: o.name ?? 'p', namespace: o.ns ?? 'ns', uid: o.uid ?? 'uid-1', labels: o.labels ?? { app: 'web' }, deletionTimestamp: o.deleting ? new Date() : undefined },
  spec: { containers: [{ name: 'c', ports: o.ports ?? [{ name: 'http', containerPort: 8080 }] }] },
  status: { phase: o.phase ?? 'Running', conditions: [{ type: 'Ready', status: o.ready === false ? 'False' : 'True' }] },
});
const service = (spec: V1Service['spec'] = {}, ns = 'ns'): V1Service => ({ metadata: { name: 'web', namespace: ns, uid: 'svc-uid' }, spec: { selector: { app: 'web' }, ports: [{ name: 'web', port: 80, targetPort: 8080 }], ...spec } });

test('selects: same namespace, every selector label equal; no selector selects nothing', (t) => {
  const cases: [V1Service, V1Pod, boolean][] = [
    [service(), pod(), true],
    [service({ selector: { app: 'web', tier: 'fe' } }), pod(), false],
    [service({ selector: { app: 'web', tier: 'fe' } }), pod({ labels: { app: 'web', tier: 'fe', x: 'y' } }), true],
    [service({}, 'other'), pod(), false],
    [service({ selector: undefined }), pod(), false],
    [service({ selector: {} }), pod(), false],
  ];
  for (const [s, p, want] of cases) t.is(selects(s, p), want, JSON.stringify(s.spec?.selector));
});

test('targetPortOf: numbers as is, names through the pod\'s TCP container ports, the Service port when unset', (t) => {
  const p = pod({ ports: [{ name: 'http', containerPort: 8080 }, { name: 'dns', containerPort: 53, protocol: 'UDP' }] });
  const cases: [Parameters<typeof targetPortOf>[0], number | undefined][] = [
    [{ port: 80, targetPort: 8080 }, 8080],
    [{ port: 80, targetPort: 'http' }, 8080],
    [{ port: 80, targetPort: '9090' }, 9090],
    [{ port: 80 }, 80],
    [{ port: 80, targetPort: 'dns' }, undefined],
    [{ port: 80, targetPort: 'nope' }, undefined],
    [{ port: 80, targetPort: 0 }, undefined],
    [{ port: 80, targetPort: 70000 }, undefined],
  ];
  for (const [sp, want] of cases) t.is(targetPortOf(sp, p), want, JSON.stringify(sp));
});

test('carriedPorts leaves out UDP/SCTP ports and names that resolve nowhere', (t) => {
  const s = service({ ports: [{ name: 'a', port: 80, targetPort: 'http' }, { name: 'u', port: 53, protocol: 'UDP' }, { name: 'x', port: 81, targetPort: 'missing' }, { name: 'b', port: 82 }] });
  t.deepEqual(carriedPorts(s, pod()), [{ name: 'a', targetPort: 8080 }, { name: 'b', targetPort: 82 }]);
});

test('unsupportedFeatures names each feature the tunnel cannot give, and nothing for a plain Service', (t) => {
  t.deepEqual(unsupportedFeatures(service()), []);
  const cases: [V1Service['spec'], RegExp][] = [
    [{ ports: [{ port: 53, protocol: 'UDP' }, { port: 9, protocol: 'SCTP' }] }, /UDP and SCTP ports are not carried/],
    [{ externalTrafficPolicy: 'Local' }, /externalTrafficPolicy=Local/],
    [{ internalTrafficPolicy: 'Local' }, /internalTrafficPolicy=Local/],
    [{ sessionAffinity: 'ClientIP' }, /sessionAffinity=ClientIP/],
    [{ clusterIP: 'None' }, /headless/],
  ];
  for (const [spec, re] of cases) {
    const out = unsupportedFeatures(service(spec));
    t.is(out.length, 1, JSON.stringify(spec));
    t.regex(out[0], re);
  }
});

test('podReady: Ready and not terminating', (t) => {
  t.true(podReady(pod()));
  t.false(podReady(pod({ ready: false })));
  t.false(podReady(pod({ deleting: true })));
});

test('desiredSlices: one slice per selected pod, endpoint = advertised address + its listener port, readiness from the pod', (t) => {
  const ports = new Map([['uid-1/8080', 31001], ['uid-2/8080', 31002], ['uid-3/8080', 31003]]);
  const listenerPort = (uid: string, port: number) => ports.get(`${uid}/${port}`);
  const pods = [
    pod({ name: 'a', uid: 'uid-1' }),
    pod({ name: 'b', uid: 'uid-2', ready: false }),
    pod({ name: 'c', uid: 'uid-3', deleting: true }),
    pod({ name: 'd', uid: 'uid-4' }), // no listener yet: no slice
    pod({ name: 'e', uid: 'uid-5', phase: 'Succeeded' }),
    pod({ name: 'f', uid: 'uid-6', labels: { app: 'other' } }),
  ];
  const out = desiredSlices(service({ ports: [{ name: 'web', port: 80, targetPort: 'http' }] }), pods, { nodeName: 'vn', address: '192.0.2.10', listenerPort });
  t.deepEqual(out.map((s) => s.endpoints?.[0]?.targetRef?.name), ['a', 'b', 'c']);
  const [a, b, c] = out;
  t.like(a, { addressType: 'IPv4', metadata: { namespace: 'ns', labels: { 'endpointslice.kubernetes.io/managed-by': SLICE_MANAGER, 'kubernetes.io/service-name': 'web', [SLICE_NODE_LABEL]: 'vn' } } });
  t.deepEqual(a.ports, [{ name: 'web', port: 31001, protocol: 'TCP' }]);
  t.deepEqual(a.endpoints?.[0]?.addresses, ['192.0.2.10']);
  t.deepEqual(a.endpoints?.[0]?.conditions, { ready: true, serving: true, terminating: false });
  t.deepEqual(b.endpoints?.[0]?.conditions, { ready: false, serving: false, terminating: false });
  t.deepEqual(c.endpoints?.[0]?.conditions, { ready: false, serving: true, terminating: true });
  t.deepEqual(a.metadata?.ownerReferences?.map((r) => [r.kind, r.uid, r.controller]), [['Service', 'svc-uid', true]]);
  t.is(desiredSlices(service({ clusterIP: 'None' }), pods, { nodeName: 'vn', address: '192.0.2.10', listenerPort }).length, 0, 'headless: none');
  t.is(desiredSlices(service(), pods, { nodeName: 'vn', address: '2001:db8::1', listenerPort })[0].addressType, 'IPv6');
  const down = desiredSlices(service({ ports: [{ name: 'web', port: 80, targetPort: 'http' }] }), pods, { nodeName: 'vn', address: '192.0.2.10', listenerPort, reachable: false });
  t.deepEqual(down.map((s) => s.endpoints?.[0]?.conditions), [0, 1, 2].map((i) => ({ ready: false, serving: false, terminating: i === 2 })), 'tunnel down: nothing ready or serving');
});

test('sliceUpToDate sees changes of address, port, readiness and labels, and ignores server fields', (t) => {
  const listenerPort = () => 31001;
  const [want] = desiredSlices(service(), [pod()], { nodeName: 'vn', address: '192.0.2.10', listenerPort });
  const served = { ...want, metadata: { ...want.metadata, resourceVersion: '7', uid: 'x', creationTimestamp: new Date() } };
  t.true(sliceUpToDate(served, want));
  const [moved] = desiredSlices(service(), [pod()], { nodeName: 'vn', address: '192.0.2.11', listenerPort });
  t.false(sliceUpToDate(served, moved), 'a new leader address');
  const [unready] = desiredSlices(service(), [pod({ ready: false })], { nodeName: 'vn', address: '192.0.2.10', listenerPort });
  t.false(sliceUpToDate(served, unready), 'readiness');
  const [port] = desiredSlices(service(), [pod()], { nodeName: 'vn', address: '192.0.2.10', listenerPort: () => 31002 });
  t.false(sliceUpToDate(served, port), 'listener port');
});

test('sliceName is a valid, stable DNS label of at most 63 characters for any Service name and uid', (t) => {
  fc.assert(
    fc.property(fc.stringMatching(/^[a-z]([-a-z0-9]{0,61}[a-z0-9])?$/), fc.uuid(), (svc, uid) => {
      const name = sliceName(svc, uid);
      return name.length <= 63 && /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/.test(name) && name === sliceName(svc, uid) && name !== sliceName(svc, `${uid}x`);
    }),
  );
  t.pass();
});
