// PodIntent (tunnel message) -> the mapping's PodSpecInput, and the tenant's placement from its config; then the
// Create/Update requests with the provider's identity tags (generation) and ClientToken. Pure: mapping rejections
// become ProviderError('INVALID_ARGUMENT') naming every field and reason.
import type { V1Pod } from '@kubernetes/client-node';
import { $Eci } from '../sdk.js';
import { MAX_TAGS, TAG_POD_UID, podToCreateRequest, podToUpdateRequest, type MappingError, type PodSpecInput, type TenantPlacement } from '../mapping/index.js';
import { ProviderError, type EgressSidecar, type PodIntent, type TenantScope } from '../../pod-provider/provider.js';
import { TAG_GENERATION, clientTokenFor } from './identity.js';

interface DecodedIntent {
  pod: V1Pod;
  input: PodSpecInput;
}

function placementOf(scope: TenantScope): TenantPlacement {
  const t = scope.tenant;
  return {
    clusterId: scope.clusterId,
    regionId: t.region,
    vSwitchIds: t.vSwitchId ? t.vSwitchId.split(',').map((s) => s.trim()).filter(Boolean) : undefined,
    securityGroupId: t.securityGroupId || undefined,
    tags: t.tags,
  };
}

export function decodeIntent(scope: TenantScope, intent: PodIntent, egress?: EgressSidecar): DecodedIntent {
  let pod: V1Pod;
  try {
    pod = JSON.parse(intent.podJson.toString('utf8')) as V1Pod;
  } catch (e) {
    throw new ProviderError('INVALID_ARGUMENT', `intent.pod_json: not valid JSON (${(e as Error).message})`);
  }
  if (typeof pod !== 'object' || pod === null || Array.isArray(pod)) throw new ProviderError('INVALID_ARGUMENT', 'intent.pod_json: must be a core/v1 Pod object');
  if (!intent.uid) throw new ProviderError('INVALID_ARGUMENT', 'intent.uid: required');
  if (pod.metadata?.uid && pod.metadata.uid !== intent.uid) {
    throw new ProviderError('INVALID_ARGUMENT', `intent.pod_json.metadata.uid: "${pod.metadata.uid}" differs from intent.uid "${intent.uid}"`);
  }
  if (!(intent.generation >= 1)) throw new ProviderError('INVALID_ARGUMENT', `intent.generation: must be >= 1, got ${intent.generation}`);
  pod = { ...pod, metadata: { ...pod.metadata, uid: intent.uid } };
  const env: Record<string, Record<string, string>> = {};
  for (const [container, values] of Object.entries(intent.env ?? {})) env[container] = { ...values.values };
  const volumes: PodSpecInput['resolved']['volumes'] = {};
  for (const [name, vf] of Object.entries(intent.volumes ?? {})) {
    volumes[name] = vf.files.map((f) => ({ path: f.path, content: f.content, mode: f.mode || undefined }));
  }
  const input: PodSpecInput = {
    pod,
    tenant: placementOf(scope),
    resolved: {
      env,
      volumes,
      imagePullCredentials: (intent.imagePullCredentials ?? []).map((c) => ({ server: c.server, username: c.username, password: c.password })),
      serviceAccountToken: intent.serviceAccountToken?.length ? intent.serviceAccountToken.toString('utf8') : undefined,
    },
    ...(egress ? { egress } : {}),
  };
  return { pod, input };
}

function rejected(errors: MappingError[]): ProviderError {
  return new ProviderError('INVALID_ARGUMENT', `pod cannot run on ECI: ${errors.map((e) => `${e.field}: ${e.reason}`).join('; ')}`);
}

/**
 * Identity tags from the mapping plus the generation tag. When the mapping used all 20 tag slots, the last copied
 * label is dropped to make room (labels come after identity and tenant tags), with a warning.
 */
function withGeneration<T extends { key?: string; value?: string }>(tags: T[], generation: number, make: (t: { key: string; value: string }) => T, warnings: string[]): T[] {
  const out = tags.filter((t) => t.key !== TAG_GENERATION);
  if (out.length >= MAX_TAGS) {
    const dropped = out.pop();
    warnings.push(`label ${dropped?.key} is not copied to an ECI tag: the gateway needs the slot for ${TAG_GENERATION}`);
  }
  out.push(make({ key: TAG_GENERATION, value: String(generation) }));
  return out;
}

interface BuiltCreate {
  request: $Eci.CreateContainerGroupRequest;
  warnings: string[];
}

export function buildCreate(d: DecodedIntent, generation: number, attempt = 0): BuiltCreate {
  const r = podToCreateRequest(d.input);
  if (!r.ok) throw rejected(r.errors);
  const warnings = [...r.warnings];
  const request = r.value;
  request.tag = withGeneration(request.tag ?? [], generation, (t) => new $Eci.CreateContainerGroupRequestTag(t), warnings);
  if (!request.tag.some((t) => t.key === TAG_POD_UID)) throw new ProviderError('INVALID_ARGUMENT', 'mapping produced no pod-uid tag');
  request.clientToken = clientTokenFor(d.input.pod.metadata?.uid ?? '', generation, attempt);
  return { request, warnings };
}

interface BuiltUpdate {
  request: $Eci.UpdateContainerGroupRequest;
  warnings: string[];
}

/** Update request carrying the full tag list (ECI replaces tags on update) with the new generation. */
export function buildUpdate(d: DecodedIntent, groupId: string, generation: number): BuiltUpdate {
  const created = buildCreate(d, generation);
  const r = podToUpdateRequest(d.input, groupId);
  if (!r.ok) throw rejected(r.errors);
  const request = r.value;
  request.tag = (created.request.tag ?? []).map((t) => new $Eci.UpdateContainerGroupRequestTag({ key: t.key, value: t.value }));
  const suffix = `-g${generation}`;
  request.clientToken = `${request.clientToken ?? ''}`.slice(0, 64 - suffix.length) + suffix;
  return { request, warnings: [...new Set([...created.warnings, ...r.warnings])] };
}
