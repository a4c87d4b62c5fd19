// Shared builders for the ECI mapping tests: a minimal valid pod, a PodSpecInput around it, and helpers to
// assert a mapping failed on a given field with an actionable reason.
import type { ExecutionContext } from 'ava';
import type { V1Pod, V1PodSpec, V1Container } from '@kubernetes/client-node';
import type { MappingResult, PodSpecInput, ResolvedPodInputs, TenantPlacement } from '../../../../cloud/eci/mapping/types.js';

export function container(over: Partial<V1Container> = {}): V1Container {
  return { name: 'app', image: 'nginx:1.27', ...over };
}

export function pod(spec: Partial<V1PodSpec> = {}, meta: Partial<NonNullable<V1Pod['metadata']>> = {}): V1Pod {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: 'web-0', namespace: 'shop', uid: '0b1c2d3e-aaaa-bbbb-cccc-000000000001', ...meta },
    spec: { containers: [container()], ...spec },
  };
}

export const tenant: TenantPlacement = {
  clusterId: 'onprem-1',
  regionId: 'cn-hangzhou',
  zoneId: 'cn-hangzhou-k',
  vSwitchIds: ['vsw-aaaa1111', 'vsw-bbbb2222'],
  securityGroupId: 'sg-default1',
};

export function input(p: V1Pod, resolved: Partial<ResolvedPodInputs> = {}, t: Partial<TenantPlacement> = {}): PodSpecInput {
  return {
    pod: p,
    resolved: { env: {}, volumes: {}, imagePullCredentials: [], ...resolved },
    tenant: { ...tenant, ...t },
  };
}

export function mustOk<T>(t: ExecutionContext, r: MappingResult<T>): { value: T; warnings: string[] } {
  if (!r.ok) t.fail(`expected success, got errors: ${JSON.stringify(r.errors)}`);
  return r;
}

/** Asserts failure with an error on exactly `field` whose reason mentions every word in `mentions`. */
export function mustReject<T>(t: ExecutionContext, r: MappingResult<T>, field: string, mentions: string[] = []): void {
  if (r.ok) { t.fail(`expected rejection on ${field}, got success`); return; }
  const e = r.errors.find((x) => x.field === field);
  if (!e) { t.fail(`no error on ${field}; errors: ${JSON.stringify(r.errors)}`); return; }
  t.true(e.reason.length > 20, `reason too short to be actionable: ${e.reason}`);
  for (const m of mentions) t.true(e.reason.toLowerCase().includes(m.toLowerCase()), `reason "${e.reason}" should mention "${m}"`);
}
