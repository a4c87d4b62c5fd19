// The PodProvider interface between the tunnel relay and whatever runs pods in the cloud (cloud/eci/provider
// on ECI; test/helpers/memory-provider.ts in tests and benches), its types and ProviderError. Every call is
// scoped to one tenant's cluster; session IO uses Node streams so backpressure flows from the pod to kubectl.
import type { Duplex, Readable, Writable } from 'node:stream';
import type { PodIntent__Output } from '../../proto/gen/ecigw/tunnel/v1/PodIntent.js';
import type { PodState__Output } from '../../proto/gen/ecigw/tunnel/v1/PodState.js';
import type { InventoryEntry__Output } from '../../proto/gen/ecigw/tunnel/v1/InventoryEntry.js';
import type { Orphan__Output } from '../../proto/gen/ecigw/tunnel/v1/Orphan.js';
import type { ExecStart__Output } from '../../proto/gen/ecigw/tunnel/v1/ExecStart.js';
import type { ExitStatus__Output } from '../../proto/gen/ecigw/tunnel/v1/ExitStatus.js';
import type { LogsRequest__Output } from '../../proto/gen/ecigw/tunnel/v1/LogsRequest.js';
import type { PortForwardStart__Output } from '../../proto/gen/ecigw/tunnel/v1/PortForwardStart.js';
import type { PodStats__Output } from '../../proto/gen/ecigw/tunnel/v1/PodStats.js';
import type { TerminalSize__Output } from '../../proto/gen/ecigw/tunnel/v1/TerminalSize.js';
import type { TenantPolicy } from '../eci/policy/types.js';

export type PodIntent = PodIntent__Output;
export type PodState = PodState__Output;
export type InventoryEntry = InventoryEntry__Output;
type Orphan = Orphan__Output;
export type ExecRequest = ExecStart__Output;
export type ExitStatus = ExitStatus__Output;
export type LogsRequest = LogsRequest__Output;
export type PortForwardRequest = PortForwardStart__Output;
export type PodStats = PodStats__Output;
export type TerminalSize = TerminalSize__Output;

/** Caps on one scope's pods on the cloud; an absent field is no cap. */
export interface QuotaLimits {
  maxPods?: number;
  maxVcpu?: number;
  maxMemoryGiB?: number;
  /** What the pods may cost per hour together, in the cloud's currency (ECI's price API). */
  maxSpendPerHour?: number;
}

/** A tenant's caps: its own across its clusters (maxPods always set), and each cluster's. */
export interface TenantQuotas extends QuotaLimits {
  maxPods: number;
  clusters?: Record<string, QuotaLimits>;
}

/** One cap on a scope's pods and what is used of it (PodProvider.capacity). */
export interface CapacityState {
  resource: 'pods' | 'cpu' | 'memory' | 'spend';
  /** Its config key under `tenants.<id>.`, e.g. `quotas.maxVcpu`. */
  key: string;
  limit: number;
  used: number;
  /** The part of `used` that the asking cluster's pods hold. */
  usedHere: number;
}

/** Per-tenant cloud settings; lives only on the relay (the credentials reference never reaches an agent). */
export interface TenantConfig {
  id: string;
  region: string;
  /** Where the relay finds this tenant's ECI credentials (e.g. a secret name); never the secret itself. */
  credentialsRef: string;
  vSwitchId: string;
  securityGroupId: string;
  /** Tags put on every cloud resource of this tenant. */
  tags: Record<string, string>;
  /**
   * Enforced by the ECI provider per tenant across all its clusters, and per cluster: pods whose container group
   * is not finished plus creates in flight, and their vCPU and memory. The agent's virtual node follows what they leave.
   */
  quotas: TenantQuotas;
  /**
   * What cloud privileges, exposure and cost this tenant's pods may ask ECI for (annotations, volumes, images).
   * Absent = the defaults: every privilege and exposure denied (cloud/eci/policy/types.ts).
   */
  policy?: TenantPolicy;
  /** Cluster ids whose agents may act for this tenant. */
  clusterIds: string[];
  /**
   * Calls per second per ECI API action for this tenant's account (its quota), with an optional burst;
   * actions not named keep the relay's conservative defaults.
   */
  eciRates?: Record<string, { perSecond: number; burst?: number }>;
  /** Networking mode `tunnel`: burst pods get an egress sidecar and reach exported on-prem Services. */
  egress?: TenantEgress;
  /** ECI image caches for this tenant's burst images, at most `maxCaches` at once (cloud/eci/provider/image-caches.ts). */
  imageCaches?: { enabled: boolean; maxCaches: number };
}

/** Networking mode `tunnel`, outbound: how this tenant's burst pods reach the relay's egress listener. */
interface TenantEgress {
  /** host:port of the relay's egress listener as container groups reach it (inside the VPC, or through NAT). */
  relayAddress: string;
  /** TLS server name to verify (default: the host of relayAddress). */
  serverName?: string;
  /** The egress sidecar's image, and its command when the image's entrypoint is not it. */
  image: string;
  command?: string[];
  /** The on-prem cluster's DNS domain (default cluster.local). */
  clusterDomain: string;
  /** Resolvers for every other name: the VPC's (Alibaba Cloud: 100.100.2.136, 100.100.2.138). */
  upstreamDns: string[];
}

/** What one pod's egress sidecar is given, set by the relay when it applies the pod (never by an agent). */
export interface EgressSidecar extends TenantEgress {
  /** The pod's egress credential (cloud/relay/egress/token.ts). */
  token: string;
  /** CA bundle (PEM) that signs the relay's serving certificate. */
  caPem: string;
}

export interface TenantScope {
  tenantId: string;
  clusterId: string;
  tenant: TenantConfig;
}

export interface ApplyResult {
  uid: string;
  generation: number;
  providerId: string;
  /** false when this generation (or a newer one) was already applied. */
  changed: boolean;
}

export interface DeleteResult {
  uid: string;
  existed: boolean;
}

export interface ReconcileResult {
  missing: InventoryEntry[];
  stale: InventoryEntry[];
  orphans: Orphan[];
}

/** Streams of one exec/attach session. stdin is null when the session has no stdin. */
export interface ExecIO {
  stdin: Readable | null;
  stdout: Writable;
  stderr: Writable;
  /** Object-mode stream of terminal sizes (tty sessions). */
  resize: Readable;
  signal: AbortSignal;
}

export type ProviderErrorCode =
  | 'NOT_FOUND'
  | 'PERMISSION_DENIED'
  | 'INVALID_ARGUMENT'
  | 'RESOURCE_EXHAUSTED'
  | 'FAILED_PRECONDITION'
  | 'UNAVAILABLE';

/** A provider failure the relay maps 1:1 to a gRPC status code. */
export class ProviderError extends Error {
  constructor(
    readonly code: ProviderErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'ProviderError';
  }
}

export type PodStateListener = (state: PodState) => void;

export interface PodProvider {
  /**
   * Create or update; idempotent by (uid, generation). PERMISSION_DENIED if the uid belongs to another scope.
   * With `egress` the pod gets the egress sidecar and its DNS (networking mode `tunnel`).
   */
  apply(scope: TenantScope, intent: PodIntent, o?: { egress?: EgressSidecar }): Promise<ApplyResult>;
  delete(scope: TenantScope, uid: string, gracePeriodSeconds: number): Promise<DeleteResult>;
  get(scope: TenantScope, uid: string): Promise<PodState | undefined>;
  list(scope: TenantScope): Promise<PodState[]>;
  /** Pushes every state change (including `gone`) of the scope's pods; returns the unsubscribe function. */
  watch(scope: TenantScope, listener: PodStateListener): () => void;
  exec(scope: TenantScope, req: ExecRequest, io: ExecIO): Promise<ExitStatus>;
  attach(scope: TenantScope, req: ExecRequest, io: ExecIO): Promise<ExitStatus>;
  /** Writes log bytes to sink and resolves when done (or when signal aborts a follow). */
  logs(scope: TenantScope, req: LogsRequest, sink: Writable, signal: AbortSignal): Promise<void>;
  /** Pipes bytes between `stream` and the pod's port until both directions end. */
  portForward(scope: TenantScope, req: PortForwardRequest, stream: Duplex, signal: AbortSignal): Promise<void>;
  stats(scope: TenantScope, uids: string[]): Promise<PodStats[]>;
  /** Every cap on the scope's pods and what is used of it; a provider without caps has none. */
  capacity?(scope: TenantScope): Promise<CapacityState[]>;
  /** Compares the agent's inventory with the cloud; orphans are GC'd by the provider after its grace period. */
  reconcile(scope: TenantScope, inventory: InventoryEntry[]): Promise<ReconcileResult>;
}
