// Resolves everything a pod references on-prem (ConfigMaps, Secrets, service-account tokens through the
// TokenRequest API, image-pull secrets, downward API) into the content the cloud side needs.
// A missing required reference is a ResolveError (the pod waits, as with the kubelet's CreateContainerConfigError).
// Reads and TokenRequests go with the node identity; a 403/404 because the API server has not seen the
// pod's binding yet is retried with back-off (kube/graph-lag.ts).
import {
  CoreV1Api,
  type KubeConfig,
  type V1Pod,
  type V1Container,
  type V1ConfigMap,
  type V1Secret,
  type V1Volume,
  type V1KeyToPath,
} from '@kubernetes/client-node';
import { fieldRefValue, resourceFieldRefValue } from './downward.js';
import { isNotFound } from '../kube/errors.js';
import { ReadCache } from '../kube/read-cache.js';
import { retryBindingLag } from '../kube/graph-lag.js';

/** How long a ConfigMap or Secret read serves later pods (a change reaches new pods within this). */
const REFERENCE_CACHE_TTL_MS = 2000;

interface ResolvedFile {
  path: string;
  content: Buffer;
  mode: number;
}
export interface Resolved {
  env: Record<string, Record<string, string>>;
  volumes: Record<string, ResolvedFile[]>;
  imagePullCredentials: { server: string; username: string; password: string }[];
}

/** A reference that cannot be resolved yet; `reason` is the kubelet-style waiting reason. */
export class ResolveError extends Error {
  constructor(
    readonly reason: 'CreateContainerConfigError' | 'FailedMount' | 'InvalidImagePullSecret',
    message: string,
  ) {
    super(message);
    this.name = 'ResolveError';
  }
}

const b64 = (s: string | undefined) => Buffer.from(s ?? '', 'base64');

export class PodResolver {
  private readonly core: CoreV1Api;
  private readonly configMaps: ReadCache<V1ConfigMap>;
  private readonly secrets: ReadCache<V1Secret>;
  constructor(
    kc: KubeConfig,
    private readonly nodeName: string,
    private readonly nodeAllocatable: Record<string, string>,
    cacheTtlMs = REFERENCE_CACHE_TTL_MS,
  ) {
    this.core = kc.makeApiClient(CoreV1Api);
    this.configMaps = new ReadCache(cacheTtlMs);
    this.secrets = new ReadCache(cacheTtlMs);
  }

  async resolve(pod: V1Pod): Promise<Resolved> {
    const ns = pod.metadata?.namespace ?? 'default';
    // Each object is read once per pod (through the shared cache); a missing one resolves to undefined.
    const reader = <T>(cache: ReadCache<T>, read: (name: string) => Promise<T>) => {
      const once = new Map<string, Promise<T | undefined>>();
      return (name: string): Promise<T | undefined> => {
        let p = once.get(name);
        if (!p) {
          p = cache.get(`${ns}/${name}`, () => read(name)).catch((e: unknown) => {
            if (isNotFound(e)) return undefined;
            throw e;
          });
          once.set(name, p);
        }
        return p;
      };
    };
    const cm = reader(this.configMaps, (name) => retryBindingLag(() => this.core.readNamespacedConfigMap({ name, namespace: ns })));
    const secret = reader(this.secrets, (name) => retryBindingLag(() => this.core.readNamespacedSecret({ name, namespace: ns })));

    const env: Resolved['env'] = {};
    const containers = [...(pod.spec?.initContainers ?? []), ...(pod.spec?.containers ?? [])];
    for (const c of containers) env[c.name] = await this.containerEnv(pod, c, cm, secret);

    const volumes: Resolved['volumes'] = {};
    for (const v of pod.spec?.volumes ?? []) {
      const files = await this.volumeFiles(pod, v, cm, secret);
      if (files) volumes[v.name] = files;
    }

    const imagePullCredentials: Resolved['imagePullCredentials'] = [];
    for (const ref of pod.spec?.imagePullSecrets ?? []) {
      if (!ref.name) continue;
      const s = await secret(ref.name);
      // The kubelet warns and pulls anonymously when a pull secret is missing; so do we (the event says so).
      if (!s) continue;
      imagePullCredentials.push(...dockerCredentials(s));
    }
    return { env, volumes, imagePullCredentials };
  }

  private async containerEnv(
    pod: V1Pod,
    c: V1Container,
    cm: (n: string) => Promise<V1ConfigMap | undefined>,
    secret: (n: string) => Promise<V1Secret | undefined>,
  ): Promise<Record<string, string>> {
    const out: Record<string, string> = {};
    for (const from of c.envFrom ?? []) {
      const prefix = from.prefix ?? '';
      if (from.configMapRef?.name) {
        const m = await cm(from.configMapRef.name);
        if (!m) {
          if (from.configMapRef.optional) continue;
          throw new ResolveError('CreateContainerConfigError', `configmap "${from.configMapRef.name}" not found`);
        }
        for (const [k, v] of Object.entries(m.data ?? {})) out[prefix + k] = v;
      }
      if (from.secretRef?.name) {
        const s = await secret(from.secretRef.name);
        if (!s) {
          if (from.secretRef.optional) continue;
          throw new ResolveError('CreateContainerConfigError', `secret "${from.secretRef.name}" not found`);
        }
        for (const [k, v] of Object.entries(s.data ?? {})) out[prefix + k] = b64(v).toString('utf8');
      }
    }
    for (const e of c.env ?? []) {
      const vf = e.valueFrom;
      if (!vf) continue;
      if (vf.configMapKeyRef) {
        const { name, key, optional } = vf.configMapKeyRef;
        const m = name ? await cm(name) : undefined;
        const v = m?.data?.[key] ?? (m?.binaryData?.[key] !== undefined ? b64(m.binaryData[key]).toString('utf8') : undefined);
        if (v === undefined) {
          if (optional) continue;
          throw new ResolveError('CreateContainerConfigError', m ? `couldn't find key ${key} in ConfigMap ${pod.metadata?.namespace}/${name}` : `configmap "${name}" not found`);
        }
        out[e.name] = v;
      } else if (vf.secretKeyRef) {
        const { name, key, optional } = vf.secretKeyRef;
        const s = name ? await secret(name) : undefined;
        const v = s?.data?.[key];
        if (v === undefined) {
          if (optional) continue;
          throw new ResolveError('CreateContainerConfigError', s ? `couldn't find key ${key} in Secret ${pod.metadata?.namespace}/${name}` : `secret "${name}" not found`);
        }
        out[e.name] = b64(v).toString('utf8');
      } else if (vf.fieldRef) {
        let v: string | undefined;
        try {
          v = fieldRefValue(pod, vf.fieldRef, this.nodeName);
        } catch (err) {
          throw new ResolveError('CreateContainerConfigError', `env ${e.name}: ${(err as Error).message}`);
        }
        if (v !== undefined) out[e.name] = v;
      } else if (vf.resourceFieldRef) {
        try {
          out[e.name] = resourceFieldRefValue(c, vf.resourceFieldRef, this.nodeAllocatable);
        } catch (err) {
          throw new ResolveError('CreateContainerConfigError', `env ${e.name}: ${(err as Error).message}`);
        }
      }
    }
    return out;
  }

  private async volumeFiles(
    pod: V1Pod,
    v: V1Volume,
    cm: (n: string) => Promise<V1ConfigMap | undefined>,
    secret: (n: string) => Promise<V1Secret | undefined>,
  ): Promise<ResolvedFile[] | undefined> {
    if (v.configMap) {
      const m = v.configMap.name ? await cm(v.configMap.name) : undefined;
      if (!m) {
        if (v.configMap.optional) return [];
        throw new ResolveError('FailedMount', `MountVolume.SetUp failed for volume "${v.name}": configmap "${v.configMap.name}" not found`);
      }
      return projectKeys(configMapData(m), v.configMap.items, v.configMap.defaultMode ?? 0o644, v.name, v.configMap.optional);
    }
    if (v.secret) {
      const s = v.secret.secretName ? await secret(v.secret.secretName) : undefined;
      if (!s) {
        if (v.secret.optional) return [];
        throw new ResolveError('FailedMount', `MountVolume.SetUp failed for volume "${v.name}": secret "${v.secret.secretName}" not found`);
      }
      return projectKeys(secretData(s), v.secret.items, v.secret.defaultMode ?? 0o644, v.name, v.secret.optional);
    }
    if (v.downwardAPI) {
      return this.downwardFiles(pod, v.downwardAPI.items ?? [], v.downwardAPI.defaultMode ?? 0o644, v.name);
    }
    if (v.projected) {
      const mode = v.projected.defaultMode ?? 0o644;
      const files: ResolvedFile[] = [];
      for (const src of v.projected.sources ?? []) {
        if (src.configMap) {
          const m = src.configMap.name ? await cm(src.configMap.name) : undefined;
          if (!m) {
            if (src.configMap.optional) continue;
            throw new ResolveError('FailedMount', `MountVolume.SetUp failed for volume "${v.name}": configmap "${src.configMap.name}" not found`);
          }
          files.push(...projectKeys(configMapData(m), src.configMap.items, mode, v.name, src.configMap.optional));
        } else if (src.secret) {
          const s = src.secret.name ? await secret(src.secret.name) : undefined;
          if (!s) {
            if (src.secret.optional) continue;
            throw new ResolveError('FailedMount', `MountVolume.SetUp failed for volume "${v.name}": secret "${src.secret.name}" not found`);
          }
          files.push(...projectKeys(secretData(s), src.secret.items, mode, v.name, src.secret.optional));
        } else if (src.downwardAPI) {
          files.push(...this.downwardFiles(pod, src.downwardAPI.items ?? [], mode, v.name));
        } else if (src.serviceAccountToken) {
          const token = await this.serviceAccountToken(pod, src.serviceAccountToken.audience, src.serviceAccountToken.expirationSeconds);
          files.push({ path: src.serviceAccountToken.path, content: Buffer.from(token), mode });
        }
        // Other sources (clusterTrustBundle, podCertificate) are rejected by the cloud-side mapping with a reason.
      }
      return files;
    }
    return undefined;
  }

  private downwardFiles(pod: V1Pod, items: { path: string; mode?: number; fieldRef?: { fieldPath: string; apiVersion?: string }; resourceFieldRef?: { containerName?: string; resource: string; divisor?: unknown } }[], mode: number, volume: string): ResolvedFile[] {
    return items.map((item) => {
      let value: string | undefined;
      try {
        if (item.fieldRef) value = fieldRefValue(pod, item.fieldRef, this.nodeName);
        else if (item.resourceFieldRef) {
          const c = pod.spec?.containers.find((x) => x.name === item.resourceFieldRef?.containerName) ?? pod.spec?.containers[0];
          if (!c) throw new Error('no container');
          value = resourceFieldRefValue(c, item.resourceFieldRef as never, this.nodeAllocatable);
        }
      } catch (err) {
        throw new ResolveError('FailedMount', `MountVolume.SetUp failed for volume "${volume}": ${(err as Error).message}`);
      }
      if (value === undefined) {
        throw new ResolveError('FailedMount', `MountVolume.SetUp failed for volume "${volume}": ${item.fieldRef?.fieldPath} is not available in downward API volumes on ECI`);
      }
      return { path: item.path, content: Buffer.from(value), mode: item.mode ?? mode };
    });
  }

  private async serviceAccountToken(pod: V1Pod, audience: string | undefined, expirationSeconds: number | undefined): Promise<string> {
    const sa = pod.spec?.serviceAccountName ?? 'default';
    const tr = await retryBindingLag(() =>
      this.core.createNamespacedServiceAccountToken({
        name: sa,
        namespace: pod.metadata?.namespace ?? 'default',
        body: {
          spec: {
            audiences: audience ? [audience] : [],
            expirationSeconds: expirationSeconds ?? 3607,
            boundObjectRef: { apiVersion: 'v1', kind: 'Pod', name: pod.metadata?.name, uid: pod.metadata?.uid },
          },
        },
      }),
    );
    const token = tr.status?.token;
    if (!token) throw new ResolveError('FailedMount', `TokenRequest for service account "${sa}" returned no token`);
    return token;
  }
}

function configMapData(m: V1ConfigMap): Map<string, Buffer> {
  const out = new Map<string, Buffer>();
  for (const [k, v] of Object.entries(m.data ?? {})) out.set(k, Buffer.from(v));
  for (const [k, v] of Object.entries(m.binaryData ?? {})) out.set(k, b64(v));
  return out;
}

function secretData(s: V1Secret): Map<string, Buffer> {
  const out = new Map<string, Buffer>();
  for (const [k, v] of Object.entries(s.data ?? {})) out.set(k, b64(v));
  for (const [k, v] of Object.entries(s.stringData ?? {})) out.set(k, Buffer.from(v));
  return out;
}

/** Applies `items` (key → path, mode) like the kubelet's atomic writer; without items every key is a file. */
function projectKeys(data: Map<string, Buffer>, items: V1KeyToPath[] | undefined, mode: number, volume: string, optional?: boolean): ResolvedFile[] {
  if (!items || items.length === 0) return [...data.entries()].map(([k, content]) => ({ path: k, content, mode }));
  const files: ResolvedFile[] = [];
  for (const it of items) {
    const content = data.get(it.key);
    if (!content) {
      if (optional) continue;
      throw new ResolveError('FailedMount', `MountVolume.SetUp failed for volume "${volume}": key "${it.key}" not found`);
    }
    files.push({ path: it.path, content, mode: it.mode ?? mode });
  }
  return files;
}

/** Registry credentials from a kubernetes.io/dockerconfigjson (or legacy dockercfg) secret. */
function dockerCredentials(s: V1Secret): { server: string; username: string; password: string }[] {
  const raw = s.data?.['.dockerconfigjson'] ?? s.data?.['.dockercfg'];
  if (!raw) return [];
  let parsed: unknown;
  try {
    parsed = JSON.parse(b64(raw).toString('utf8'));
  } catch {
    throw new ResolveError('InvalidImagePullSecret', `image pull secret "${s.metadata?.name}" is not valid JSON`);
  }
  const auths = ((parsed as { auths?: unknown }).auths ?? parsed) as Record<string, { username?: string; password?: string; auth?: string }>;
  const out: { server: string; username: string; password: string }[] = [];
  for (const [server, a] of Object.entries(auths ?? {})) {
    let { username = '', password = '' } = a ?? {};
    if ((!username || !password) && a?.auth) {
      const dec = b64(a.auth).toString('utf8');
      const i = dec.indexOf(':');
      if (i > 0) {
        username = dec.slice(0, i);
        password = dec.slice(i + 1);
      }
    }
    if (username) out.push({ server: server.replace(/^https?:\/\//, '').replace(/\/v[12]\/?$/, '').replace(/\/$/, ''), username, password });
  }
  return out;
}
