// Where a pod's trace starts: the span around each intent the controller sends (`ecigw.pod.apply`,
// `ecigw.pod.delete`) with the pod's k8s.* attributes. The tunnel call beneath it carries its context to the
// relay; this module knows nothing of how. A no-op while tracing is off.
import type { V1Pod } from '@kubernetes/client-node';
import { podAttributes, SpanKind, withSpan } from '../../common/tracing.js';

/** `pod` is the informer's object, or just the uid of one that is gone. */
export function podIntentSpan<T>(op: 'apply' | 'delete', pod: V1Pod | string, fn: () => Promise<T>): Promise<T> {
  const m = typeof pod === 'string' ? { uid: pod } : (pod.metadata ?? {});
  const attributes = podAttributes({ namespace: m.namespace, name: m.name, uid: m.uid });
  if (m.generation !== undefined) attributes['ecigw.pod.generation'] = m.generation;
  return withSpan(`ecigw.pod.${op}`, { kind: SpanKind.INTERNAL, attributes }, fn);
}
