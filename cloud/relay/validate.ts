// Pure validation of decoded tunnel requests; each failure names the field and what was wrong.
// The relay maps ValidationError to INVALID_ARGUMENT.
import type { PodIntent } from '../pod-provider/provider.js';

export class ValidationError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ValidationError';
  }
}

const fail = (m: string): never => {
  throw new ValidationError(m);
};

export function requireUid(uid: unknown, field: string): string {
  if (typeof uid !== 'string' || uid.length === 0) fail(`${field} is required`);
  if ((uid as string).length > 128 || !/^[A-Za-z0-9-]+$/.test(uid as string)) fail(`${field} ${JSON.stringify(uid)} is not a valid pod UID`);
  return uid as string;
}

export function validateIntent(intent: PodIntent | null | undefined): PodIntent {
  if (!intent) return fail('intent is required');
  requireUid(intent.uid, 'intent.uid');
  if (!Number.isSafeInteger(intent.generation) || intent.generation < 1) fail(`intent.generation must be an integer >= 1 (got ${intent.generation})`);
  if (!intent.podJson || intent.podJson.length === 0) fail('intent.pod_json is required');
  let pod: unknown;
  try {
    pod = JSON.parse(intent.podJson.toString('utf8'));
  } catch (e) {
    fail(`intent.pod_json is not valid JSON: ${(e as Error).message}`);
  }
  if (typeof pod !== 'object' || pod === null || Array.isArray(pod)) fail('intent.pod_json must be a JSON object (core/v1 Pod)');
  const meta = (pod as { metadata?: Record<string, unknown> }).metadata;
  if (typeof meta !== 'object' || meta === null) fail('intent.pod_json.metadata is required');
  if (typeof meta!.name !== 'string' || !meta!.name) fail('intent.pod_json.metadata.name is required');
  if (meta!.uid !== undefined && meta!.uid !== intent.uid) fail(`intent.pod_json.metadata.uid ${JSON.stringify(meta!.uid)} differs from intent.uid ${JSON.stringify(intent.uid)}`);
  for (const [vol, files] of Object.entries(intent.volumes ?? {})) {
    for (const f of files.files ?? []) {
      if (!f.path || f.path.startsWith('/') || f.path.split('/').includes('..')) fail(`intent.volumes[${vol}] file path ${JSON.stringify(f.path)} must be relative without ".."`);
      if (f.mode > 0o7777) fail(`intent.volumes[${vol}] file ${f.path} mode ${f.mode.toString(8)} is not a POSIX mode`);
    }
  }
  for (const c of intent.imagePullCredentials ?? []) if (!c.server) fail('intent.image_pull_credentials[].server is required');
  return intent;
}
