// The in-process MemoryProvider, remembering the intents it was given: what crossed the tunnel for each
// pod (its resolved env, Secret/ConfigMap files and service-account tokens), for tests to read back.
import { MemoryProvider } from './memory-provider.js';
import type { PodIntent, TenantScope } from '../../cloud/pod-provider/provider.js';

export class RecordingProvider extends MemoryProvider {
  readonly intents = new Map<string, PodIntent>();
  override async apply(scope: TenantScope, intent: PodIntent) {
    this.intents.set(intent.uid, intent);
    return await super.apply(scope, intent);
  }
}

/** The projected service-account token of the pod's kube-api-access volume, and its claims. */
export function projectedToken(intent: PodIntent | undefined): { token: string; claims: { sub?: string; 'kubernetes.io'?: { pod?: { name: string; uid: string }; node?: { name: string } } } } | undefined {
  const volume = Object.entries(intent?.volumes ?? {}).find(([name]) => name.startsWith('kube-api-access-'))?.[1];
  const token = volume?.files?.find((f) => f.path === 'token')?.content.toString();
  if (!token) return undefined;
  const claims = JSON.parse(Buffer.from(token.split('.')[1] ?? '', 'base64url').toString()) as NonNullable<ReturnType<typeof projectedToken>>['claims'];
  return { token, claims };
}
