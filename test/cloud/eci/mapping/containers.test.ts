import test from 'ava';
import type { V1Container } from '@kubernetes/client-node';
import { podToCreateRequest } from '../../../../cloud/eci/mapping/pod.js';
import { pod, container, input, mustOk, mustReject } from './fixtures.js';

function mapOne(c: Partial<V1Container>, resolvedEnv: Record<string, string> = {}, extra: Parameters<typeof pod>[0] = {}) {
  const p = pod({ containers: [container(c)], ...extra });
  return podToCreateRequest(input(p, { env: { app: resolvedEnv } }));
}

test('image, command, args, workingDir, imagePullPolicy, stdin/stdinOnce/tty, termination message', (t) => {
  const { value } = mustOk(t, mapOne({
    image: 'registry.example.com/team/app:v2', command: ['/bin/sh', '-c'], args: ['echo hi && sleep 1'], workingDir: '/srv',
    imagePullPolicy: 'IfNotPresent', stdin: true, stdinOnce: true, tty: true,
    terminationMessagePath: '/dev/termination-log', terminationMessagePolicy: 'FallbackToLogsOnError',
  }));
  const c = value.container![0];
  t.is(c.name, 'app');
  t.is(c.image, 'registry.example.com/team/app:v2');
  t.deepEqual(c.command, ['/bin/sh', '-c']);
  t.deepEqual(c.arg, ['echo hi && sleep 1']);
  t.is(c.workingDir, '/srv');
  t.is(c.imagePullPolicy, 'IfNotPresent');
  t.true(c.stdin); t.true(c.stdinOnce); t.true(c.tty);
  t.is(c.terminationMessagePath, '/dev/termination-log');
  t.is(c.terminationMessagePolicy, 'FallbackToLogsOnError');
});

test('env: literal, resolved valueFrom, envFrom expansion, podIP FieldRef, local downward fields, hide secrets', (t) => {
  const { value, warnings } = mustOk(t, mapOne({
    envFrom: [{ configMapRef: { name: 'cfg' } }],
    env: [
      { name: 'PLAIN', value: 'x y=z&' },
      { name: 'EMPTY' },
      { name: 'PASS', valueFrom: { secretKeyRef: { name: 's', key: 'p' } } },
      { name: 'IP', valueFrom: { fieldRef: { fieldPath: 'status.podIP' } } },
      { name: 'HOST', valueFrom: { fieldRef: { fieldPath: 'status.hostIP' } } },
      { name: 'NAME', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } },
      { name: 'NS', valueFrom: { fieldRef: { fieldPath: 'metadata.namespace' } } },
      { name: 'TIER', valueFrom: { fieldRef: { fieldPath: "metadata.labels['tier']" } } },
      { name: 'MEM', valueFrom: { resourceFieldRef: { resource: 'limits.memory', divisor: '1Mi' } } },
      { name: 'OPT', valueFrom: { configMapKeyRef: { name: 'c', key: 'missing', optional: true } } },
    ],
    resources: { limits: { memory: '512Mi' } },
  }, { PASS: 's3cret', FROM_CM: 'cm-value', PLAIN: 'ignored-resolved' }));
  const c = value.container![0];
  const env = Object.fromEntries(c.environmentVar!.map((e) => [e.key ?? '', e.fieldRef ? `fieldRef:${e.fieldRef.fieldPath}` : e.value] as const));
  t.deepEqual(env, {
    FROM_CM: 'cm-value', PLAIN: 'x y=z&', EMPTY: '', PASS: 's3cret', IP: 'fieldRef:status.podIP', HOST: 'fieldRef:status.podIP',
    NAME: 'web-0', NS: 'shop', TIER: '', MEM: '512',
  });
  t.is(c.environmentVar![0].key, 'FROM_CM', 'envFrom expansions come first so explicit env wins');
  t.true(c.environmentVarHide, 'secret-derived env is hidden in the ECI console');
  t.true(warnings.some((w) => w.includes('status.hostIP')));
});

test('env without secrets is not hidden', (t) => {
  const { value } = mustOk(t, mapOne({ env: [{ name: 'A', value: 'b' }] }));
  t.is(value.container![0].environmentVarHide, undefined);
});

test('unresolved env references are rejected with the env field', (t) => {
  mustReject(t, mapOne({ env: [{ name: 'PASS', valueFrom: { secretKeyRef: { name: 's', key: 'p' } } }] }), 'spec.containers[0].env[0].valueFrom', ['PASS', 'optional']);
  mustReject(t, mapOne({ env: [{ name: 'X', valueFrom: { fieldRef: { fieldPath: 'spec.unknownField' } } }] }), 'spec.containers[0].env[0].valueFrom.fieldRef', ['spec.unknownField']);
});

test('ports: TCP default, UDP kept; hostPort and SCTP rejected', (t) => {
  const { value } = mustOk(t, mapOne({ ports: [{ containerPort: 80 }, { containerPort: 53, protocol: 'UDP', name: 'dns' }] }));
  t.deepEqual(value.container![0].port!.map((p) => [p.port, p.protocol]), [[80, 'TCP'], [53, 'UDP']]);
  mustReject(t, mapOne({ ports: [{ containerPort: 80, hostPort: 8080 }] }), 'spec.containers[0].ports[0].hostPort', ['hostPort']);
  mustReject(t, mapOne({ ports: [{ containerPort: 80 }, { containerPort: 9, protocol: 'SCTP' }] }), 'spec.containers[0].ports[1].protocol', ['TCP or UDP']);
});

test('resources: container cpu/memory in cores/GiB, gpu needs an instance type', (t) => {
  const { value } = mustOk(t, mapOne({ resources: { requests: { cpu: '250m', memory: '512Mi' }, limits: { cpu: '500m', memory: '1Gi' } } }));
  t.is(value.container![0].cpu, 0.5);
  t.is(value.container![0].memory, 1);
  mustReject(t, mapOne({ resources: { requests: { cpu: 'lots' } } }), 'spec.containers[0].resources[cpu]', ['quantity']);
  mustReject(t, mapOne({ resources: { limits: { 'nvidia.com/gpu': '1' } } }), 'metadata.annotations[k8s.aliyun.com/eci-use-specs]', ['GPU']);
  const gpu = podToCreateRequest(input(pod({ containers: [container({ resources: { limits: { 'nvidia.com/gpu': '2' } } })] }, { annotations: { 'k8s.aliyun.com/eci-use-specs': 'ecs.gn6i-c4g1.xlarge' } })));
  const ok = mustOk(t, gpu);
  t.is(ok.value.container![0].gpu, 2);
  t.is(ok.value.instanceType, 'ecs.gn6i-c4g1.xlarge');
  t.is(ok.value.cpu, undefined);
  const noGpuType = podToCreateRequest(input(pod({ containers: [container({ resources: { limits: { 'nvidia.com/gpu': '1' } } })] }, { annotations: { 'k8s.aliyun.com/eci-use-specs': '2-4Gi' } })));
  mustReject(t, noGpuType, 'metadata.annotations[k8s.aliyun.com/eci-use-specs]', ['GPU instance type']);
});

test('probes: exec, httpGet (named port), tcpSocket with timings', (t) => {
  const timing = { initialDelaySeconds: 5, periodSeconds: 7, timeoutSeconds: 2, successThreshold: 1, failureThreshold: 4 };
  const { value } = mustOk(t, mapOne({
    ports: [{ containerPort: 8080, name: 'http' }],
    livenessProbe: { ...timing, httpGet: { path: '/healthz', port: 'http', scheme: 'HTTPS' } },
    readinessProbe: { tcpSocket: { port: 8080 } },
  }));
  const c = value.container![0];
  t.like(c.livenessProbe, timing);
  t.deepEqual({ ...c.livenessProbe!.httpGet }, { path: '/healthz', port: 8080, scheme: 'HTTPS' });
  t.is(c.readinessProbe!.tcpSocket!.port, 8080);
  const exec = mustOk(t, mapOne({ readinessProbe: { exec: { command: ['cat', '/tmp/ready'] } } }));
  t.deepEqual(exec.value.container![0].readinessProbe!.exec!.command, ['cat', '/tmp/ready']);
});

test('probe degradations and rejections', (t) => {
  const hdr = mustOk(t, mapOne({ readinessProbe: { httpGet: { port: 80, host: 'x', httpHeaders: [{ name: 'Host', value: 'a' }] } } }));
  t.true(hdr.warnings.some((w) => w.includes('httpHeaders')));
  t.true(hdr.warnings.some((w) => w.includes('httpGet.host')));
  t.is(hdr.value.container![0].readinessProbe!.httpGet!.path, '/');
  mustReject(t, mapOne({ livenessProbe: { grpc: { port: 9000 } } }), 'spec.containers[0].livenessProbe.grpc', ['exec']);
  mustReject(t, mapOne({ livenessProbe: { httpGet: { port: 'metrics' } } }), 'spec.containers[0].livenessProbe.httpGet.port', ['metrics']);
  mustReject(t, mapOne({ readinessProbe: {} }), 'spec.containers[0].readinessProbe', ['exec']);
});

test('startupProbe is dropped with a warning and folds its budget into the liveness delay', (t) => {
  const { value, warnings } = mustOk(t, mapOne({
    startupProbe: { httpGet: { port: 80, path: '/' }, periodSeconds: 10, failureThreshold: 30 },
    livenessProbe: { httpGet: { port: 80, path: '/' }, initialDelaySeconds: 3 },
  }));
  t.is(value.container![0].livenessProbe!.initialDelaySeconds, 300);
  t.true(warnings.some((w) => w.includes('startupProbe') && w.includes('300')));
  const alone = mustOk(t, mapOne({ startupProbe: { exec: { command: ['true'] } } }));
  t.is(alone.value.container![0].livenessProbe, undefined);
  t.true(alone.warnings.some((w) => w.includes('startupProbe')));
});

test('security context: runAsUser/Group/NonRoot (pod default, container wins), readOnlyRootFilesystem, capabilities', (t) => {
  const { value, warnings } = mustOk(t, mapOne(
    { securityContext: { runAsUser: 1000, readOnlyRootFilesystem: true, capabilities: { add: ['NET_ADMIN', 'CAP_NET_RAW', 'CHOWN'], drop: ['ALL'] } } },
    {},
    { securityContext: { runAsUser: 1, runAsGroup: 2000, runAsNonRoot: true } },
  ));
  const c = value.container![0];
  t.is(c.securityContext!.runAsUser, 1000);
  t.true(c.securityContext!.readOnlyRootFilesystem);
  t.deepEqual(c.securityContext!.capability!.add, ['NET_ADMIN', 'NET_RAW']);
  t.is(c.securityContextRunAsGroup, 2000);
  t.true(c.securityContextRunAsNonRoot);
  t.true(warnings.some((w) => w.includes('capabilities.drop')));
});

test('security context rejections: privileged, unsupported capability, procMount', (t) => {
  mustReject(t, mapOne({ securityContext: { privileged: true } }), 'spec.containers[0].securityContext.privileged', ['privileged', 'capabilities']);
  mustReject(t, mapOne({ securityContext: { capabilities: { add: ['SYS_ADMIN'] } } }), 'spec.containers[0].securityContext.capabilities.add[0]', ['SYS_ADMIN', 'NET_ADMIN']);
  mustReject(t, mapOne({ securityContext: { procMount: 'Unmasked' } }), 'spec.containers[0].securityContext.procMount', ['Unmasked']);
});

test('lifecycle postStart/preStop: exec, httpGet with headers, tcpSocket, sleep', (t) => {
  const a = mustOk(t, mapOne({ lifecycle: { postStart: { exec: { command: ['/hook'] } }, preStop: { httpGet: { host: 'h', path: '/stop', port: 8080, scheme: 'HTTP', httpHeaders: [{ name: 'X', value: 'y' }] } } } })).value.container![0];
  t.deepEqual(a.lifecyclePostStartHandlerExec, ['/hook']);
  t.is(a.lifecyclePreStopHandlerHttpGetHost, 'h');
  t.is(a.lifecyclePreStopHandlerHttpGetPath, '/stop');
  t.is(a.lifecyclePreStopHandlerHttpGetPort, 8080);
  t.is(a.lifecyclePreStopHandlerHttpGetScheme, 'HTTP');
  t.deepEqual(a.lifecyclePreStopHandlerHttpGetHttpHeader!.map((h) => [h.name, h.value]), [['X', 'y']]);
  const b = mustOk(t, mapOne({ lifecycle: { postStart: { tcpSocket: { port: 22, host: 'localhost' } }, preStop: { sleep: { seconds: 5 } } } }));
  t.is(b.value.container![0].lifecyclePostStartHandlerTcpSocketPort, 22);
  t.is(b.value.container![0].lifecyclePostStartHandlerTcpSocketHost, 'localhost');
  t.deepEqual(b.value.container![0].lifecyclePreStopHandlerExec, ['sleep', '5']);
  t.true(b.warnings.some((w) => w.includes('sleep')));
  mustReject(t, mapOne({ lifecycle: { preStop: {} } }), 'spec.containers[0].lifecycle.preStop', ['exec']);
});

test('volume mounts: subPath, readOnly, mountPropagation; bad references rejected', (t) => {
  const vols = { volumes: [{ name: 'data', emptyDir: {} }] };
  const { value } = mustOk(t, mapOne({ volumeMounts: [{ name: 'data', mountPath: '/data', subPath: 'x', readOnly: true, mountPropagation: 'HostToContainer' }] }, {}, vols));
  t.deepEqual({ ...value.container![0].volumeMount![0] }, { name: 'data', mountPath: '/data', subPath: 'x', readOnly: true, mountPropagation: 'HostToContainer' });
  mustReject(t, mapOne({ volumeMounts: [{ name: 'nope', mountPath: '/x' }] }, {}, vols), 'spec.containers[0].volumeMounts[0].name', ['nope']);
  mustReject(t, mapOne({ volumeMounts: [{ name: 'data', mountPath: '/x', subPathExpr: '$(POD)' }] }, {}, vols), 'spec.containers[0].volumeMounts[0].subPathExpr', ['subPath']);
  mustReject(t, mapOne({ volumeMounts: [{ name: 'data', mountPath: '/x', mountPropagation: 'Shared' }] }, {}, vols), 'spec.containers[0].volumeMounts[0].mountPropagation', ['HostToContainer']);
  mustReject(t, mapOne({ volumeDevices: [{ name: 'data', devicePath: '/dev/x' }] }, {}, vols), 'spec.containers[0].volumeDevices', ['block']);
});

test('container-level rejections: missing image, bad pull policy, per-container restartPolicy, resource claims', (t) => {
  mustReject(t, mapOne({ image: undefined }), 'spec.containers[0].image', ['image']);
  mustReject(t, mapOne({ imagePullPolicy: 'Sometimes' }), 'spec.containers[0].imagePullPolicy', ['IfNotPresent']);
  mustReject(t, mapOne({ restartPolicy: 'Always' }), 'spec.containers[0].restartPolicy', ['spec.restartPolicy']);
  mustReject(t, mapOne({ resources: { claims: [{ name: 'gpu' }] } }), 'spec.containers[0].resources.claims', ['nvidia.com/gpu']);
});

test('init containers: same mapping without probes/lifecycle; sidecars rejected', (t) => {
  const p = pod({
    initContainers: [container({ name: 'init', image: 'busybox', command: ['sh', '-c', 'true'], env: [{ name: 'A', value: '1' }, { name: 'IP', valueFrom: { fieldRef: { fieldPath: 'status.podIP' } } }], resources: { limits: { cpu: '1', memory: '2Gi' } }, securityContext: { runAsUser: 5, capabilities: { add: ['NET_ADMIN'] } }, volumeMounts: [{ name: 'w', mountPath: '/w' }], ports: [{ containerPort: 1 }], tty: true })],
    volumes: [{ name: 'w', emptyDir: {} }],
  });
  const { value, warnings } = mustOk(t, podToCreateRequest(input(p)));
  const ic = value.initContainer![0];
  t.is(ic.name, 'init');
  t.deepEqual(ic.command, ['sh', '-c', 'true']);
  t.deepEqual(ic.environmentVar!.map((e) => e.key), ['A', 'IP']);
  t.is(ic.environmentVar![1].fieldRef!.fieldPath, 'status.podIP');
  t.is(ic.cpu, 1);
  t.is(ic.memory, 2);
  t.is(ic.securityContext!.runAsUser, 5);
  t.deepEqual(ic.securityContext!.capability!.add, ['NET_ADMIN']);
  t.is(ic.volumeMount![0].mountPath, '/w');
  t.is(ic.port![0].port, 1);
  t.true(warnings.some((w) => w.includes('stdin/stdinOnce/tty')));
  mustReject(t, podToCreateRequest(input(pod({ initContainers: [container({ name: 'side', restartPolicy: 'Always' })] }))), 'spec.initContainers[0].restartPolicy', ['spec.containers']);
  mustReject(t, podToCreateRequest(input(pod({ initContainers: [container({ name: 'i', readinessProbe: { exec: { command: ['x'] } } })] }))), 'spec.initContainers[0].readinessProbe', ['init']);
});

test('$(VAR) expansion like kubelet: env literals see earlier vars; command/args see all; podIP refs stay with a warning', (t) => {
  const { value, warnings } = mustOk(t, mapOne({
    envFrom: [{ configMapRef: { name: 'cfg' } }],
    env: [
      { name: 'PORT', value: '8080' },
      { name: 'ADDR', value: '0.0.0.0:$(PORT)' },
      { name: 'LATER', value: '$(AFTER)' },
      { name: 'AFTER', value: 'x' },
      { name: 'IP', valueFrom: { fieldRef: { fieldPath: 'status.podIP' } } },
      { name: 'SECRET', valueFrom: { secretKeyRef: { name: 's', key: 'k' } } },
    ],
    command: ['/bin/app', '--listen=$(ADDR)', '--mode=$(MODE)'],
    args: ['--ip=$(IP)', '--literal=$$(PORT)', '--secret=$(SECRET)', '--missing=$(NOPE)'],
  }, { MODE: 'prod', SECRET: '$(PORT)' }));
  const c = value.container![0];
  const env = Object.fromEntries(c.environmentVar!.map((e) => [e.key ?? '', e.value] as const));
  t.is(env.ADDR, '0.0.0.0:8080');
  t.is(env.LATER, '$(AFTER)', 'a var defined later is not visible');
  t.is(env.SECRET, '$(PORT)', 'resolved valueFrom values are not expanded');
  t.deepEqual(c.command, ['/bin/app', '--listen=0.0.0.0:8080', '--mode=prod']);
  t.deepEqual(c.arg, ['--ip=$(IP)', '--literal=$(PORT)', '--secret=$(PORT)', '--missing=$(NOPE)']);
  t.true(warnings.some((w) => w.includes('$(IP)') && w.includes('runtime')));
});
