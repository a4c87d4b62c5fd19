// Both charts rendered with helm for the conventions a platform team expects of any chart: `enabled` and
// `global` accepted (subchart use), `helm lint --strict` without a single message, labels (part-of the
// application, commonLabels that never replace the selector), image digests, pod and container security
// contexts, extra env/volumes/mounts, topologySpreadConstraints, priorityClassName, and the `helm test` hooks
// (what they run, with which rights, and that they cannot be mistaken for the workload's pods).
import test from 'ava';
import type { V1ClusterRole, V1ClusterRoleBinding, V1Deployment, V1Pod } from '@kubernetes/client-node';
import { all, chartDir, ciValues, helm, one, render, template, type ChartName, type KubeObject } from './helm.js';

const CHARTS: ChartName[] = ['gateway-agent', 'gateway-relay'];
const DIGEST = `sha256:${'0123456789abcdef'.repeat(4)}`;
const deployment = (objs: KubeObject[]) => one<V1Deployment>(objs, 'Deployment');
const podSpec = (objs: KubeObject[]) => deployment(objs).spec!.template.spec!;
const container = (objs: KubeObject[]) => podSpec(objs).containers[0];

for (const chart of CHARTS) {
  test(`${chart}: helm lint --strict prints no message at all (icon, maintainers, templates)`, async (t) => {
    const r = await helm(['lint', '--strict', chartDir(chart), '-f', ciValues(chart)]);
    t.is(r.code, 0, r.stdout + r.stderr);
    const messages = (r.stdout + r.stderr).split('\n').filter((l) => /^\[(INFO|WARNING|ERROR)\]/.test(l.trim()));
    t.deepEqual(messages, []);
  });

  test(`${chart}: the schema accepts enabled and global, as an umbrella chart passes them`, async (t) => {
    const r = await template(chart, [{ enabled: true, global: { imageRegistry: 'registry.example.com', anything: { nested: 1 } } }]);
    t.is(r.code, 0, r.stderr);
    const bad = await template(chart, [{ enabled: 'yes' }]);
    t.not(bad.code, 0);
    t.regex(bad.stderr, /\/enabled/);
  });

  test(`${chart}: every object is part-of eci-hybrid-gateway with its component; commonLabels reach objects and pods but never the selector`, async (t) => {
    const plain = await render(chart);
    for (const o of [...plain, ...(await render(chart, [], { hooks: true }))]) t.is(o.metadata.labels?.['app.kubernetes.io/part-of'], 'eci-hybrid-gateway', `${o.kind} ${o.metadata.name}`);
    t.is(deployment(plain).metadata?.labels?.['app.kubernetes.io/component'], chart === 'gateway-agent' ? 'virtual-kubelet' : 'relay');
    const common = { 'team.example.com/owner': 'platform', 'app.kubernetes.io/part-of': 'burst-platform', 'app.kubernetes.io/name': 'hijack', 'app.kubernetes.io/instance': 'hijack' };
    const objs = await render(chart, [{ commonLabels: common }]);
    for (const o of objs) {
      t.is(o.metadata.labels?.['team.example.com/owner'], 'platform', `${o.kind} ${o.metadata.name}`);
      t.is(o.metadata.labels?.['app.kubernetes.io/part-of'], 'burst-platform', 'commonLabels may name the platform');
      t.is(o.metadata.labels?.['app.kubernetes.io/name'], chart, 'but not replace the selector labels');
      t.is(o.metadata.labels?.['app.kubernetes.io/instance'], 'rel');
    }
    const d = deployment(objs);
    t.deepEqual(d.spec?.selector.matchLabels, { 'app.kubernetes.io/name': chart, 'app.kubernetes.io/instance': 'rel' });
    t.like(d.spec?.template.metadata?.labels, { 'team.example.com/owner': 'platform', 'app.kubernetes.io/name': chart, 'app.kubernetes.io/instance': 'rel' });
    const bad = await template(chart, [{ commonLabels: { 'not a label': 'x' } }]);
    t.not(bad.code, 0);
    t.regex(bad.stderr, /\/commonLabels/);
  });

  test(`${chart}: image.digest wins over the tag (repository@sha256:...); a malformed digest is refused`, async (t) => {
    t.is(container(await render(chart, [{ image: { tag: '9.9.9' } }])).image, `ghcr.io/eci-hybrid-gateway/${chart}:9.9.9`);
    const objs = await render(chart, [{ image: { tag: '9.9.9', digest: DIGEST } }]);
    t.is(container(objs).image, `ghcr.io/eci-hybrid-gateway/${chart}@${DIGEST}`);
    for (const p of all(await render(chart, [{ image: { digest: DIGEST } }], { hooks: true }), 'Pod') as V1Pod[]) t.is(p.spec?.containers[0].image, `ghcr.io/eci-hybrid-gateway/${chart}@${DIGEST}`, 'the test hook runs the same image');
    const bad = await template(chart, [{ image: { digest: 'sha256:abc' } }]);
    t.not(bad.code, 0);
    t.regex(bad.stderr, /\/image\/digest/);
  });

  test(`${chart}: pod and container securityContext: hardened by default, merged with values, a key dropped with null`, async (t) => {
    const def = await render(chart);
    t.deepEqual(podSpec(def).securityContext, { runAsNonRoot: true, runAsUser: 10001, runAsGroup: 10001, fsGroup: 10001, seccompProfile: { type: 'RuntimeDefault' } });
    t.deepEqual(container(def).securityContext, { allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: { drop: ['ALL'] } });
    const objs = await render(chart, [{ podSecurityContext: { runAsUser: 20000, fsGroup: null, fsGroupChangePolicy: 'OnRootMismatch' }, securityContext: { runAsNonRoot: true, capabilities: { drop: ['ALL'], add: ['NET_BIND_SERVICE'] } } }]);
    t.deepEqual(podSpec(objs).securityContext, { runAsNonRoot: true, runAsUser: 20000, runAsGroup: 10001, fsGroupChangePolicy: 'OnRootMismatch', seccompProfile: { type: 'RuntimeDefault' } });
    t.deepEqual(container(objs).securityContext, { allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, runAsNonRoot: true, capabilities: { drop: ['ALL'], add: ['NET_BIND_SERVICE'] } });
    const bad = await template(chart, [{ securityContext: { privileged: 'no' } }]);
    t.not(bad.code, 0);
    t.regex(bad.stderr, /\/securityContext\/privileged/);
  });

  test(`${chart}: extraEnv, extraEnvFrom, extraVolumes and extraVolumeMounts come after the chart's own`, async (t) => {
    const objs = await render(chart, [
      {
        extraEnv: [{ name: 'HTTPS_PROXY', value: 'http://proxy:3128' }, { name: 'FROM_SECRET', valueFrom: { secretKeyRef: { name: 's', key: 'k' } } }],
        extraEnvFrom: [{ configMapRef: { name: 'site-env' } }],
        extraVolumes: [{ name: 'site-ca', configMap: { name: 'site-ca' } }],
        extraVolumeMounts: [{ name: 'site-ca', mountPath: '/etc/ssl/site', readOnly: true }],
      },
    ]);
    const c = container(objs);
    const names = (c.env ?? []).map((e) => e.name);
    t.deepEqual(names.slice(-2), ['HTTPS_PROXY', 'FROM_SECRET']);
    t.true(names.includes('LOG_LEVEL'), "the chart's own env stays");
    t.deepEqual(c.envFrom, [{ configMapRef: { name: 'site-env' } }]);
    t.deepEqual(podSpec(objs).volumes?.at(-1), { name: 'site-ca', configMap: { name: 'site-ca' } });
    t.deepEqual(c.volumeMounts?.at(-1), { name: 'site-ca', mountPath: '/etc/ssl/site', readOnly: true });
    t.true((c.volumeMounts ?? []).some((m) => m.name === 'config'), "the chart's own mounts stay");
    for (const [values, field] of [
      [{ extraEnv: [{ value: 'x' }] }, /\/extraEnv\/0/],
      [{ extraVolumeMounts: [{ name: 'x', mountPath: 'relative' }] }, /\/extraVolumeMounts\/0\/mountPath/],
      [{ extraVolumes: [{ configMap: { name: 'x' } }] }, /\/extraVolumes\/0/],
    ] as const) {
      const bad = await template(chart, [values]);
      t.not(bad.code, 0);
      t.regex(bad.stderr, field);
    }
  });

  test(`${chart}: topologySpreadConstraints (a missing labelSelector selects this release's pods) and priorityClassName`, async (t) => {
    const def = podSpec(await render(chart));
    t.is(def.topologySpreadConstraints, undefined);
    t.is(def.priorityClassName, undefined);
    const objs = await render(chart, [
      {
        priorityClassName: 'system-cluster-critical',
        topologySpreadConstraints: [
          { maxSkew: 1, topologyKey: 'topology.kubernetes.io/zone', whenUnsatisfiable: 'ScheduleAnyway' },
          { maxSkew: 2, topologyKey: 'kubernetes.io/hostname', whenUnsatisfiable: 'DoNotSchedule', labelSelector: { matchLabels: { tier: 'edge' } } },
        ],
      },
    ]);
    const spec = podSpec(objs);
    t.is(spec.priorityClassName, 'system-cluster-critical');
    t.deepEqual(spec.topologySpreadConstraints, [
      { maxSkew: 1, topologyKey: 'topology.kubernetes.io/zone', whenUnsatisfiable: 'ScheduleAnyway', labelSelector: { matchLabels: deployment(objs).spec?.selector.matchLabels } },
      { maxSkew: 2, topologyKey: 'kubernetes.io/hostname', whenUnsatisfiable: 'DoNotSchedule', labelSelector: { matchLabels: { tier: 'edge' } } },
    ]);
    for (const [values, field] of [
      [{ topologySpreadConstraints: [{ maxSkew: 1, topologyKey: 'zone', whenUnsatisfiable: 'Sometimes' }] }, /\/topologySpreadConstraints\/0\/whenUnsatisfiable/],
      [{ topologySpreadConstraints: [{ topologyKey: 'zone', whenUnsatisfiable: 'DoNotSchedule' }] }, /\/topologySpreadConstraints\/0/],
      [{ priorityClassName: 'Not A Name' }, /\/priorityClassName/],
    ] as const) {
      const bad = await template(chart, [values]);
      t.not(bad.code, 0);
      t.regex(bad.stderr, field);
    }
  });

  test(`${chart}: serviceMonitor.labels and podAnnotations that repeat a chart key still give valid manifests (no duplicate YAML keys)`, async (t) => {
    const objs = await render(chart, [{ serviceMonitor: { enabled: true, labels: { release: 'kube-prometheus', 'app.kubernetes.io/part-of': 'monitoring' } }, podAnnotations: { 'checksum/config': 'mine', 'team.example.com/pager': 'ops' } }]);
    t.like(one<KubeObject>(objs, 'ServiceMonitor').metadata.labels, { release: 'kube-prometheus', 'app.kubernetes.io/part-of': 'monitoring', 'app.kubernetes.io/name': chart });
    const annotations = deployment(objs).spec?.template.metadata?.annotations ?? {};
    t.is(annotations['team.example.com/pager'], 'ops');
    t.regex(annotations['checksum/config'], /^[0-9a-f]{64}$/, 'the config checksum cannot be replaced (it rolls the pods on a config change)');
  });

  test(`${chart}: the test hook pod runs the chart image with its security contexts, outside the workload's selector, and only with tests.enabled`, async (t) => {
    const hooks = await render(chart, [{ tests: { nodeSelector: { pool: 'ops' }, tolerations: [{ key: 'ops', operator: 'Exists' }], env: [{ name: 'NO_PROXY', value: '*' }] } }], { hooks: true });
    const pod = one<V1Pod>(hooks, 'Pod');
    t.is(pod.metadata?.annotations?.['helm.sh/hook'], 'test');
    t.is(pod.metadata?.annotations?.['helm.sh/hook-delete-policy'], 'before-hook-creation,hook-succeeded');
    t.is(pod.spec?.restartPolicy, 'Never');
    const c = pod.spec!.containers[0];
    t.deepEqual(c.command, ['node', '-e']);
    t.is(c.image, `ghcr.io/eci-hybrid-gateway/${chart}:0.1.0`);
    t.deepEqual(c.securityContext, { allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: { drop: ['ALL'] } });
    t.true(pod.spec?.securityContext?.runAsNonRoot);
    t.deepEqual(pod.spec?.nodeSelector, { pool: 'ops' });
    t.deepEqual(pod.spec?.tolerations, [{ key: 'ops', operator: 'Exists' }]);
    t.is(c.env?.at(-1)?.name, 'NO_PROXY');
    const selector = deployment(await render(chart)).spec!.selector.matchLabels!;
    t.false(Object.entries(selector).every(([k, v]) => pod.metadata?.labels?.[k] === v), "the workload's ReplicaSet must not adopt the test pod");
    t.is(pod.metadata?.labels?.['app.kubernetes.io/component'], 'test');
    t.deepEqual(await render(chart, [{ tests: { enabled: false } }], { hooks: true }), []);
  });
}

test('gateway-agent: the test hook may only get the virtual node, with its own ServiceAccount and token', async (t) => {
  const hooks = await render('gateway-agent', [{ node: { name: 'burst-1' } }], { hooks: true, release: 'prod' });
  t.deepEqual(hooks.map((o) => o.kind).sort(), ['ClusterRole', 'ClusterRoleBinding', 'Pod', 'ServiceAccount']);
  const cr = one<V1ClusterRole>(hooks, 'ClusterRole');
  t.deepEqual(cr.rules, [{ apiGroups: [''], resources: ['nodes'], resourceNames: ['burst-1'], verbs: ['get'] }]);
  const sa = one<KubeObject>(hooks, 'ServiceAccount').metadata.name;
  t.is(sa, 'prod-gateway-agent-test');
  t.deepEqual(one<V1ClusterRoleBinding>(hooks, 'ClusterRoleBinding').subjects, [{ kind: 'ServiceAccount', name: sa, namespace: 'ecigw' }]);
  const pod = one<V1Pod>(hooks, 'Pod');
  t.is(pod.spec?.serviceAccountName, sa);
  t.true(pod.spec?.automountServiceAccountToken);
  for (const o of hooks) if (o.kind !== 'Pod') t.is(o.metadata.annotations?.['helm.sh/hook-weight'], '-1', `${o.kind} exists before the pod`);
  t.like(Object.fromEntries((pod.spec?.containers[0].env ?? []).map((e) => [e.name, e.value])), { NODE_NAME: 'burst-1', TIMEOUT_SECONDS: '60' });
  t.deepEqual(await render('gateway-agent', [{ rbac: { create: false } }], { hooks: true }), [], 'no RBAC wanted: no hook that needs it');
});

test('gateway-relay: the test hook GETs /readyz of the ops Service (or tests.url) without a ServiceAccount token', async (t) => {
  const objs = await render('gateway-relay', [{ ops: { port: 19096 } }], { release: 'prod' });
  const hooks = await render('gateway-relay', [{ ops: { port: 19096 } }], { hooks: true, release: 'prod' });
  t.deepEqual(hooks.map((o) => o.kind), ['Pod']);
  const pod = one<V1Pod>(hooks, 'Pod');
  t.false(pod.spec?.automountServiceAccountToken);
  const env = Object.fromEntries((pod.spec?.containers[0].env ?? []).map((e) => [e.name, e.value]));
  t.is(env.HEALTH_URL, 'http://prod-gateway-relay-ops.ecigw.svc:19096/readyz');
  const ops = one<KubeObject & { spec: { ports: { port: number }[] } }>(objs, 'Service', '-ops');
  t.is(ops.metadata.name, 'prod-gateway-relay-ops');
  t.deepEqual(ops.spec.ports.map((p) => p.port), [19096]);
  const custom = one<V1Pod>(await render('gateway-relay', [{ tests: { url: 'https://relay.example.com:9096/readyz' } }], { hooks: true }), 'Pod');
  t.is(custom.spec?.containers[0].env?.find((e) => e.name === 'HEALTH_URL')?.value, 'https://relay.example.com:9096/readyz');
  const bad = await template('gateway-relay', [{ tests: { url: 'ftp://x' } }]);
  t.not(bad.code, 0);
  t.regex(bad.stderr, /\/tests\/url/);
});
