// The emulator's data model: validated container-group specs and the live state of groups and containers.
// Plain types only; the state machine (controller.ts) and runtimes mutate GroupRecord, render.ts maps it to the wire.

export type RestartPolicy = 'Always' | 'OnFailure' | 'Never';
export type GroupStatus =
  | 'Scheduling'
  | 'ScheduleFailed'
  | 'Pending'
  | 'Running'
  | 'Restarting'
  | 'Updating'
  | 'Terminating'
  | 'Succeeded'
  | 'Failed'
  | 'Expired';
export const TERMINAL_STATUSES: ReadonlySet<GroupStatus> = new Set(['Succeeded', 'Failed', 'Expired', 'ScheduleFailed']);

export interface EnvVarSpec {
  key: string;
  value?: string;
  fieldPath?: string;
}
export interface ProbeSpec {
  initialDelaySeconds: number;
  periodSeconds: number;
  timeoutSeconds: number;
  successThreshold: number;
  failureThreshold: number;
  exec?: string[];
  httpGet?: { path: string; port: number; scheme: 'HTTP' | 'HTTPS' };
  tcpSocket?: { port: number };
}
export interface VolumeMountSpec {
  name: string;
  mountPath: string;
  readOnly: boolean;
  subPath?: string;
}
export interface ContainerSpec {
  name: string;
  image: string;
  imagePullPolicy?: string;
  command: string[];
  args: string[];
  env: EnvVarSpec[];
  workingDir?: string;
  ports: { port: number; protocol: string }[];
  volumeMounts: VolumeMountSpec[];
  cpu?: number;
  memory?: number;
  gpu?: number;
  stdin: boolean;
  stdinOnce: boolean;
  tty: boolean;
  readinessProbe?: ProbeSpec;
  livenessProbe?: ProbeSpec;
}
export interface VolumeSpec {
  name: string;
  type: string;
  emptyDir?: { medium?: string; sizeLimit?: string };
  configFiles?: { path: string; content: string; mode?: number }[];
  configDefaultMode?: number;
  nfs?: { server?: string; path?: string; readOnly?: boolean };
  hostPath?: { path?: string; type?: string };
}
export interface GroupSpec {
  name: string;
  regionId: string;
  zoneId: string;
  securityGroupId: string;
  vSwitchId: string;
  restartPolicy: RestartPolicy;
  cpu: number;
  memory: number;
  instanceType?: string;
  terminationGracePeriodSeconds?: number;
  hostName?: string;
  containers: ContainerSpec[];
  initContainers: ContainerSpec[];
  volumes: VolumeSpec[];
  tags: { key: string; value: string }[];
  hostAliases: { ip: string; hostnames: string[] }[];
  dnsConfig?: DnsConfigSpec;
  /** `Default` (the VPC resolver, DnsConfig appended) when not sent; `None`: DnsConfig only. */
  dnsPolicy?: DnsPolicy;
  resourceGroupId?: string;
  /** What the create asked for beyond the containers: recorded as sent, rendered where DescribeContainerGroups has a field. */
  ramRoleName?: string;
  spotStrategy: SpotStrategy;
  spotPriceLimit?: number;
  spotDuration?: number;
  strictSpot?: boolean;
  /** A public IP: a new EIP (`create`) or an existing one bound by id. */
  eip?: { create: boolean; instanceId?: string; bandwidth?: number; isp?: string; commonBandwidthPackage?: string };
  ephemeralStorage?: number;
  dataCacheBucket?: string;
  imageSnapshotId?: string;
  autoMatchImageCache?: boolean;
  acrInstanceIds: string[];
  scheduleStrategy?: string;
}

export const DNS_POLICIES = ['Default', 'None'] as const;
export type DnsPolicy = (typeof DNS_POLICIES)[number];
export interface DnsConfigSpec {
  nameServers: string[];
  searches: string[];
  options: { name: string; value?: string }[];
}

export const SPOT_STRATEGIES = ['NoSpot', 'SpotAsPriceGo', 'SpotWithPriceLimit'] as const;
export type SpotStrategy = (typeof SPOT_STRATEGIES)[number];

export interface ContainerState {
  state: 'Waiting' | 'Running' | 'Terminated';
  reason?: string;
  detailStatus?: string;
  message?: string;
  exitCode?: number;
  signal?: number;
  startTime?: string;
  finishTime?: string;
}
export interface ContainerStatus {
  name: string;
  image: string;
  ready: boolean;
  started: boolean;
  restartCount: number;
  current: ContainerState;
  previous?: ContainerState;
}
export interface GroupEvent {
  type: 'Normal' | 'Warning';
  reason: string;
  message: string;
  count: number;
  firstTimestamp: string;
  lastTimestamp: string;
  /** Object the event is about: `pod` or `spec.containers{name}`. */
  fieldPath?: string;
}
export interface GroupRecord {
  id: string;
  uuid: string;
  seq: number;
  spec: GroupSpec;
  status: GroupStatus;
  intranetIp: string;
  /** The EIP address when the group asked for one (AutoCreateEip or EipInstanceId). */
  internetIp?: string;
  creationTime: string;
  startTime?: string;
  succeededTime?: string;
  failedTime?: string;
  /** When a spot group was released (status Expired). */
  expiredTime?: string;
  /** A spot group given its SpotToBeReleased notice: when it is released (spot-reclaim.ts). */
  spotReleaseAtMs?: number;
  finishedAtMs?: number;
  /** Last status change, for DescribeContainerGroupStatus SinceSecond. */
  updatedAtMs: number;
  containers: ContainerStatus[];
  initContainers: ContainerStatus[];
  events: GroupEvent[];
  /** The group's image pull time (image-cache-store.ts) and the image cache it matched, if any. */
  imagePull?: { ms: number; imageCacheId?: string };
  /** Set while Restarting/Updating until the containers are back. */
  transition?: 'Restarting' | 'Updating';
  deleting: boolean;
}

export const isoNow = (ms = Date.now()): string => new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
