// Shared fixtures for the ECI provider tests: an emulator (unmodified SDK on the wire), tenant scopes,
// pod intents, callers with fast retries, and small wait helpers.
import type { EmulatorHandle } from '../../../../cloud/eci-emulator/index.js';
import { eventually } from '../../../helpers/wait.js';
import { createEciCaller, type TenantEciCaller } from '../../../../cloud/eci/client.js';
import { EciProvider, type EciProviderOptions } from '../../../../cloud/eci/provider/index.js';
import type { PodIntent, PodState, TenantScope } from '../../../../cloud/pod-provider/provider.js';

export function scopeOf(tenantId: string, clusterId: string, regionId = 'cn-hangzhou'): TenantScope {
  return {
    tenantId,
    clusterId,
    tenant: {
      id: tenantId,
      region: regionId,
      credentialsRef: `secret/${tenantId}`,
      vSwitchId: 'vsw-test1',
      securityGroupId: 'sg-test1',
      tags: { 'ecigw.io/tenant': tenantId },
      quotas: { maxPods: 10_000 },
      clusterIds: [clusterId],
    },
  };
}

export interface PodOpts {
  image?: string;
  command?: string[];
  restartPolicy?: string;
  extraSpec?: Record<string, unknown>;
  namespace?: string;
}

export function podJson(uid: string, name: string, o: PodOpts = {}): Buffer {
  return Buffer.from(
    JSON.stringify({
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name, namespace: o.namespace ?? 'default', uid, labels: { app: 'test' } },
      spec: {
        restartPolicy: o.restartPolicy ?? 'Always',
        terminationGracePeriodSeconds: 1,
        containers: [{ name: 'main', image: o.image ?? 'pause', command: o.command, resources: { requests: { cpu: '250m', memory: '512Mi' } } }],
        ...o.extraSpec,
      },
    }),
  );
}

export function intentOf(uid: string, generation: number, name = `pod-${uid.slice(0, 8)}`, o: PodOpts = {}): PodIntent {
  return { uid, generation, podJson: podJson(uid, name, o), volumes: {}, env: {}, imagePullCredentials: [], serviceAccountToken: Buffer.alloc(0) };
}

export function uidOf(i: number, prefix = '00000000'): string {
  return `${prefix}-0000-4000-8000-${String(i).padStart(12, '0')}`;
}

export function callerFor(emu: EmulatorHandle, tenantId: string, extra: Partial<Parameters<typeof createEciCaller>[0]> = {}): TenantEciCaller {
  return createEciCaller({
    tenantId,
    endpoint: { endpoint: emu.endpoint, protocol: 'http', regionId: emu.regionId, accessKeyId: emu.accessKeyId, accessKeySecret: emu.accessKeySecret },
    retry: { maxAttempts: 8, baseDelayMs: 20, maxDelayMs: 400, maxTotalMs: 20_000 },
    timeoutMs: 5000,
    ...extra,
  });
}

export function providerFor(emu: EmulatorHandle, over: Partial<EciProviderOptions> = {}): EciProvider {
  const callers = new Map<string, TenantEciCaller>();
  return new EciProvider({
    callerFor: (s) => {
      let c = callers.get(s.tenantId);
      if (!c) callers.set(s.tenantId, (c = callerFor(emu, s.tenantId)));
      return c;
    },
    pollFastMs: 100,
    pollSlowMs: 1000,
    gcGraceMs: 60_000,
    ...over,
  });
}

export function phaseOf(s: PodState | undefined): string | undefined {
  return s ? (JSON.parse(s.statusJson.toString('utf8')) as { phase?: string }).phase : undefined;
}


/** Records every PodState a watcher receives, by uid. */
export class StateLog {
  readonly all: PodState[] = [];
  readonly latest = new Map<string, PodState>();
  readonly listener = (s: PodState): void => {
    const prev = this.latest.get(s.uid);
    if (prev && prev.statusVersion >= s.statusVersion) throw new Error(`status_version went backwards for ${s.uid}`);
    this.all.push(s);
    this.latest.set(s.uid, s);
  };
}

/** Polls until truthy (bounded); the shared test helper with this file's default cadence. */
export const waitFor = <T>(what: string, fn: () => T | undefined | false | Promise<T | undefined | false>, timeoutMs = 30_000, everyMs = 50): Promise<T> => eventually(what, fn, timeoutMs, everyMs);
