// The contract between the kubelet HTTPS API (this directory) and whatever runs the pods (the tunnel
// client to ECI in production, local processes in tests). Node streams carry the bytes so
// backpressure flows end to end; every call takes an AbortSignal that fires when the client goes away.
import type { Readable, Writable, Duplex } from 'node:stream';
import type { V1Pod } from '@kubernetes/client-node';

export interface TerminalSize {
  cols: number;
  rows: number;
}

export interface TerminalSizeSource {
  readonly latest?: TerminalSize;
  /** Calls `cb` with the newest size now (if any) and with every later one; returns the unsubscribe. */
  follow(cb: (size: TerminalSize) => void): () => void;
}

export interface ExecRequest {
  pod: V1Pod;
  container: string;
  /** Empty for attach. */
  command: string[];
  tty: boolean;
  stdin: boolean;
  stdout: boolean;
  stderr: boolean;
}

export interface StreamIO {
  stdin?: Readable;
  stdout?: Writable;
  stderr?: Writable;
  /**
   * The client's terminal sizes (TTY sessions). A TTY exec or attach starts once the first size is known
   * (or after a short wait), so `latest` is the size to start the process with.
   */
  resize: TerminalSizeSource;
  signal: AbortSignal;
}

export interface ExecResult {
  exitCode: number;
  /** Set when the command could not be run at all (reported as an InternalError status). */
  error?: string;
}

export interface PodLogOptions {
  follow?: boolean;
  tailLines?: number;
  sinceSeconds?: number;
  sinceTime?: string;
  timestamps?: boolean;
  limitBytes?: number;
  previous?: boolean;
}

export interface LogRequest {
  pod: V1Pod;
  container: string;
  opts: PodLogOptions;
}

export interface PortForwardRequest {
  pod: V1Pod;
  port: number;
}

/** kubelet stats/v1alpha1 Summary (the subset metrics-server and kubectl top read). */
export interface CpuStats {
  time: string;
  usageNanoCores?: number;
  usageCoreNanoSeconds?: number;
}
export interface MemoryStats {
  time: string;
  availableBytes?: number;
  usageBytes?: number;
  workingSetBytes?: number;
  rssBytes?: number;
  pageFaults?: number;
  majorPageFaults?: number;
}
interface ContainerStats {
  name: string;
  startTime: string;
  cpu?: CpuStats;
  memory?: MemoryStats;
}
/** Bytes through all of the pod's interfaces (ECI reports the group's sum). */
interface NetworkStats {
  time: string;
  rxBytes?: number;
  txBytes?: number;
}
export interface PodStats {
  podRef: { name: string; namespace: string; uid: string };
  startTime: string;
  containers: ContainerStats[];
  cpu?: CpuStats;
  memory?: MemoryStats;
  network?: NetworkStats;
}
interface NodeStats {
  nodeName: string;
  startTime: string;
  cpu?: CpuStats;
  memory?: MemoryStats;
}
export interface Summary {
  node: NodeStats;
  pods: PodStats[];
}

export interface KubeletBackend {
  getPod(namespace: string, name: string): V1Pod | undefined;
  listPods(): V1Pod[];
  exec(req: ExecRequest, io: StreamIO): Promise<ExecResult>;
  attach(req: ExecRequest, io: StreamIO): Promise<ExecResult>;
  /** Writes the log to `out` (respecting backpressure); resolves when done or aborted. Does not end `out`. */
  logs(req: LogRequest, out: Writable, signal: AbortSignal): Promise<void>;
  /** Pipes `socket` to the pod's port until either side ends or the signal fires. Rejects if the dial fails. */
  portForward(req: PortForwardRequest, socket: Duplex, signal: AbortSignal): Promise<void>;
  statsSummary(): Promise<Summary>;
}
