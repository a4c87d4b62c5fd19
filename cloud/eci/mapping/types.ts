// Input/output types of the pure Pod <-> ECI mapping, and the small error/warning collector every mapper shares.
// PodSpecInput carries the pod plus everything the agent resolved on-prem (env values, volume files, registry
// credentials) and the tenant's placement defaults; MappingResult is the only shape mappers return.
import type { V1Pod } from '@kubernetes/client-node';
import type { EgressSidecar } from '../../pod-provider/provider.js';

/** One file of a configMap/secret/projected/downwardAPI volume, as resolved by the agent (items already applied). */
export interface ResolvedVolumeFile {
  /** Relative path inside the volume (e.g. `app.conf` or `sub/dir/key`). */
  path: string;
  content: Buffer | Uint8Array;
  /** Per-file mode (decimal int as in Kubernetes, e.g. 420 for 0644); falls back to the item's mode in the spec. */
  mode?: number;
}

interface ImagePullCredential {
  server: string;
  username: string;
  password: string;
}

export interface ResolvedPodInputs {
  /**
   * containerName -> envName -> value. Holds the values of every `valueFrom` reference the agent resolved
   * (secretKeyRef/configMapKeyRef/fieldRef/resourceFieldRef) and every variable expanded from `envFrom`
   * (names that are not declared in `container.env` are treated as envFrom expansions).
   */
  env: Record<string, Record<string, string>>;
  /** volumeName -> files (configMap/secret/projected/downwardAPI content). */
  volumes: Record<string, ResolvedVolumeFile[]>;
  imagePullCredentials: ImagePullCredential[];
  /** Token for projected serviceAccountToken sources whose file the agent did not already put in `volumes`. */
  serviceAccountToken?: string;
}

/** Cluster DNS reachable from ECI; enables a faithful ClusterFirst mapping (see README). */
interface ClusterDnsDefaults {
  nameservers: string[];
  /** Defaults to `cluster.local`. */
  clusterDomain?: string;
}

interface TenantDefaults {
  /** Group vCPU when no container declares any cpu (ECI's own default is 2). */
  cpu?: number;
  /** Group memory GiB when no container declares any memory (ECI's own default is 4). */
  memory?: number;
  /** Default for AutoMatchImageCache when the pod has no image-cache annotation. */
  autoMatchImageCache?: boolean;
  clusterDns?: ClusterDnsDefaults;
}

export interface TenantPlacement {
  clusterId: string;
  regionId: string;
  zoneId?: string;
  vSwitchIds?: string[];
  securityGroupId?: string;
  resourceGroupId?: string;
  tags?: Record<string, string>;
  defaults?: TenantDefaults;
}

export interface PodSpecInput {
  pod: V1Pod;
  resolved: ResolvedPodInputs;
  tenant: TenantPlacement;
  /** Create attempt number; appended to the pod UID in ClientToken so a deliberate re-create is not deduplicated. */
  attempt?: number;
  /** Networking mode `tunnel`: the egress sidecar this pod gets, and the DNS that goes with it (egress.ts). */
  egress?: EgressSidecar;
}

export interface MappingError {
  /** JSON-ish path into the pod, e.g. `spec.volumes[1].hostPath` or `metadata.annotations[k8s.aliyun.com/eci-vswitch]`. */
  field: string;
  /** User-readable: what is wrong, why, and what to do instead. */
  reason: string;
}

export type MappingResult<T> =
  | { ok: true; value: T; warnings: string[] }
  | { ok: false; errors: MappingError[] };

/** Accumulates every error and warning of one mapping run so the user sees all problems at once. */
export class Issues {
  readonly errors: MappingError[] = [];
  readonly warnings: string[] = [];
  error(field: string, reason: string): void {
    this.errors.push({ field, reason });
  }
  warn(message: string): void {
    if (!this.warnings.includes(message)) this.warnings.push(message);
  }
  get failed(): boolean {
    return this.errors.length > 0;
  }
  result<T>(value: T): MappingResult<T> {
    return this.failed ? { ok: false, errors: [...this.errors] } : { ok: true, value, warnings: [...this.warnings] };
  }
}
