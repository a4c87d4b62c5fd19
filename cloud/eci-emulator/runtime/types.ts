// The contract between the state machine (controller.ts) and a runtime that "runs" container groups.
// A runtime reports container state changes and events through RuntimeSink; the controller derives group status.
import type { Readable } from 'node:stream';
import type { ContainerStatus, GroupRecord } from '../model.js';

export interface RuntimeSink {
  /** Replace or patch one container's status (kind selects Containers or InitContainers). */
  updateContainer(groupId: string, kind: 'app' | 'init', name: string, patch: Partial<ContainerStatus>): void;
  event(groupId: string, type: 'Normal' | 'Warning', reason: string, message: string, container?: string): void;
}

export interface LogLine {
  ms: number;
  /** RFC3339 with nanosecond-style fraction, as kubelet prints with timestamps=true. */
  ts: string;
  text: string;
}

export interface ExecOptions {
  tty: boolean;
  stdin: boolean;
  cols?: number;
  rows?: number;
}

/**
 * A running exec: its stdout and stderr as separate streams (a TTY's output, which the terminal merges, is all on
 * stdout); `exit` resolves with the exit code (signal -> 128+signo). Pausing a stream pauses the process's pipe.
 */
export interface ExecSession {
  stdout: Readable;
  stderr: Readable;
  write(data: Buffer): void;
  closeStdin(): void;
  resize(cols: number, rows: number): void;
  kill(): void;
  exit: Promise<number>;
}

export interface ContainerMetrics {
  name: string;
  cpuNs: number;
  rssBytes: number;
  workingSetBytes: number;
}

export interface Runtime {
  readonly kind: 'process' | 'simulated';
  /** Called once scheduling is over: start init containers, then app containers. */
  start(group: GroupRecord): void;
  /** Stop every container (SIGTERM, then SIGKILL after graceSeconds) and free the group's resources. */
  stop(group: GroupRecord, graceSeconds: number): Promise<void>;
  /** Restart all containers (RestartContainerGroup). */
  restart(group: GroupRecord, graceSeconds: number): Promise<void>;
  /** Apply a new spec: restart the named app containers (their spec changed). */
  update(group: GroupRecord, changedContainers: string[], graceSeconds: number): Promise<void>;
  exec(group: GroupRecord, container: string, command: string[], opts: ExecOptions): ExecSession;
  logs(groupId: string, container: string, previous: boolean): LogLine[] | undefined;
  metrics(group: GroupRecord): ContainerMetrics[];
  /** Drop what is kept after stop (logs, directories) once the group is deleted or expired. */
  forget(groupId: string): void;
  close(): Promise<void>;
}

