// Which Services burst pods may reach: only those whose annotation says so, to the namespaces it names.
import test from 'ava';
import type { V1Service } from '@kubernetes/client-node';
import { EXPORT_ANNOTATION, exportAllows, exportOf } from '../../../agent/service-traffic/exports.js';

const svc = (value: string | undefined, ports: V1Service['spec'] = { ports: [{ name: 'http', port: 80 }, { name: 'dns', port: 53, protocol: 'UDP' }] }): V1Service => ({
  metadata: { name: 'db', namespace: 'shop', annotations: value === undefined ? {} : { [EXPORT_ANNOTATION]: value } },
  spec: ports,
});

test('annotation values: nothing, own namespace, lists, everyone; TCP ports only', (t) => {
  t.deepEqual(exportOf(svc(undefined)), {});
  t.deepEqual(exportOf(svc('false')), {});
  t.deepEqual(exportOf(svc('true')).export, { namespace: 'shop', name: 'db', ports: [{ name: 'http', port: 80 }], toNamespaces: ['shop'], allNamespaces: false });
  t.deepEqual(exportOf(svc(' web, shop ,web')).export?.toNamespaces, ['web', 'shop']);
  t.true(exportOf(svc('*')).export?.allNamespaces);
});

test('bad annotations are problems, not exports', (t) => {
  for (const v of ['Shop', 'a,,b,@', ',', 'x'.repeat(64)]) {
    const r = exportOf(svc(v));
    t.is(r.export, undefined, v);
    t.regex(r.problem ?? '', /must be "true"/, v);
  }
  t.regex(exportOf(svc('true', { ports: [{ port: 53, protocol: 'UDP' }] })).problem ?? '', /no TCP port/);
});

test('exportAllows: namespace and port both', (t) => {
  const own = exportOf(svc('true')).export!;
  t.true(exportAllows(own, 'shop', 80));
  t.false(exportAllows(own, 'web', 80));
  t.false(exportAllows(own, 'shop', 53));
  t.true(exportAllows(exportOf(svc('*')).export!, 'anything', 80));
});
