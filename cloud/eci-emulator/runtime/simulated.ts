// The `simulated` runtime: the same lifecycle as the process runtime without any processes, for scale work.
// Init containers complete at once, app containers run until stopped; exec answers with an empty output and
// exit code 0, logs are empty. Tiny per-group footprint so thousands of groups fit.
import { PassThrough } from 'node:stream';
import { isoNow, type GroupRecord } from '../model.js';
import type { ContainerMetrics, ExecSession, LogLine, Runtime, RuntimeSink } from './types.js';

export class SimulatedRuntime implements Runtime {
  readonly kind = 'simulated' as const;
  constructor(private readonly sink: RuntimeSink) {}

  start(group: GroupRecord): void {
    const now = isoNow();
    for (const c of group.spec.initContainers) {
      this.sink.updateContainer(group.id, 'init', c.name, {
        started: false,
        current: { state: 'Terminated', reason: 'Completed', detailStatus: 'Completed', exitCode: 0, startTime: now, finishTime: now },
      });
    }
    for (const c of group.spec.containers) {
      this.sink.event(group.id, 'Normal', 'Started', `Started container ${c.name} (simulated)`, c.name);
      this.sink.updateContainer(group.id, 'app', c.name, { ready: true, started: true, current: { state: 'Running', reason: 'Started', detailStatus: 'Started', startTime: now } });
    }
  }

  stop(group: GroupRecord): Promise<void> {
    const now = isoNow();
    for (const c of group.containers) {
      if (c.current.state !== 'Running') continue;
      this.sink.updateContainer(group.id, 'app', c.name, {
        ready: false,
        current: { state: 'Terminated', reason: 'Completed', detailStatus: 'Completed', exitCode: 0, startTime: c.current.startTime, finishTime: now },
      });
    }
    return Promise.resolve();
  }

  restart(group: GroupRecord): Promise<void> {
    this.start(group);
    return Promise.resolve();
  }

  update(group: GroupRecord, changed: string[]): Promise<void> {
    const now = isoNow();
    for (const name of changed) {
      const c = group.containers.find((x) => x.name === name);
      this.sink.updateContainer(group.id, 'app', name, {
        ready: true,
        started: true,
        restartCount: (c?.restartCount ?? 0) + (c?.current.state === 'Running' ? 1 : 0),
        previous: c?.current.state === 'Running' ? { ...c.current, state: 'Terminated', reason: 'Completed', exitCode: 0, finishTime: now } : c?.previous,
        current: { state: 'Running', reason: 'Started', startTime: now },
      });
    }
    this.start(group);
    return Promise.resolve();
  }

  exec(): ExecSession {
    const [stdout, stderr] = [new PassThrough(), new PassThrough()];
    stdout.end();
    stderr.end();
    return { stdout, stderr, write: () => undefined, closeStdin: () => undefined, resize: () => undefined, kill: () => undefined, exit: Promise.resolve(0) };
  }

  logs(): LogLine[] | undefined {
    return [];
  }

  metrics(group: GroupRecord): ContainerMetrics[] {
    return group.containers.map((c) => ({ name: c.name, cpuNs: 0, rssBytes: 0, workingSetBytes: 0 }));
  }

  forget(): void {}

  async close(): Promise<void> {}
}
