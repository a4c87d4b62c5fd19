// Builds the tunnel's PodIntent from a pod and what the agent resolved for it. Pure; enforces the
// intent size bound so an oversized pod fails with a clear reason instead of being cut by the transport.
import type { V1Pod } from '@kubernetes/client-node';
import type { PodIntent } from '../../proto/gen/ecigw/tunnel/v1/PodIntent.js';
import type { Resolved } from './resolve.js';

/** Default bound; the relay's max message size is 4 MiB and the envelope needs room. */
export const MAX_INTENT_BYTES = 3 * 1024 * 1024;

export class IntentTooLargeError extends Error {
  constructor(bytes: number, limit: number) {
    super(`pod with its resolved ConfigMaps/Secrets is ${bytes} bytes, over the ${limit}-byte limit of a pod intent; move large files out of ConfigMap/Secret volumes`);
    this.name = 'IntentTooLargeError';
  }
}

export function buildIntent(pod: V1Pod, r: Resolved, limit = MAX_INTENT_BYTES): PodIntent {
  // Only what the cloud side needs: managedFields and the status are not sent.
  const { managedFields: _mf, ...metadata } = pod.metadata ?? {};
  const podJson = Buffer.from(JSON.stringify({ apiVersion: 'v1', kind: 'Pod', metadata, spec: pod.spec }));
  const volumes: NonNullable<PodIntent['volumes']> = {};
  let size = podJson.length;
  for (const [name, files] of Object.entries(r.volumes)) {
    volumes[name] = { files: files.map((f) => ({ path: f.path, content: f.content, mode: f.mode })) };
    for (const f of files) size += f.content.length + f.path.length + 8;
  }
  const env: NonNullable<PodIntent['env']> = {};
  for (const [c, values] of Object.entries(r.env)) {
    env[c] = { values };
    for (const [k, v] of Object.entries(values)) size += k.length + v.length + 8;
  }
  if (size > limit) throw new IntentTooLargeError(size, limit);
  return {
    uid: pod.metadata?.uid ?? '',
    generation: pod.metadata?.generation ?? 1,
    podJson,
    volumes,
    env,
    imagePullCredentials: r.imagePullCredentials,
  };
}
