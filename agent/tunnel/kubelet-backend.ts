// The kubelet API's backend in production: every session crosses the tunnel as its own gRPC stream
// (exec, attach, logs, port-forward), pods come from the pod controller's informer cache, and the
// stats summary is built from the relay's per-pod usage. Streams are piped, so backpressure flows
// from kubectl through the tunnel to the container and back.
import { finished } from 'node:stream/promises';
import type { Writable, Duplex, Readable } from 'node:stream';
import type { V1Pod } from '@kubernetes/client-node';
import type { KubeletBackend, ExecRequest, StreamIO, ExecResult, LogRequest, PortForwardRequest, Summary, PodStats } from '../kubelet-api/backend.js';
import type { TunnelClient } from './client.js';
import type { PodController } from '../pods/pod-controller.js';

/** Pipes `from` into `to` without ending `to`; resolves when `from` ends or fails. */
async function drainInto(from: Readable, to: Writable | undefined): Promise<void> {
  if (!to) {
    from.resume();
  } else {
    from.pipe(to, { end: false });
  }
  await finished(from).catch(() => undefined);
}

/** Runs `cb` on abort, or now if the client already went away while the tunnel session was opening. */
function whenAborted(signal: AbortSignal, cb: () => void): void {
  if (signal.aborted) cb();
  else signal.addEventListener('abort', cb, { once: true });
}

export class TunnelKubeletBackend implements KubeletBackend {
  private readonly started = new Date().toISOString();

  constructor(
    private readonly tunnel: TunnelClient,
    private readonly pods: Pick<PodController, 'getPod' | 'pods'>,
    private readonly nodeName: string,
  ) {}

  getPod(namespace: string, name: string): V1Pod | undefined {
    return this.pods.getPod(namespace, name);
  }

  listPods(): V1Pod[] {
    return [...this.pods.pods()];
  }

  exec(req: ExecRequest, io: StreamIO): Promise<ExecResult> {
    return this.session(req, io, false);
  }

  attach(req: ExecRequest, io: StreamIO): Promise<ExecResult> {
    return this.session(req, io, true);
  }

  private async session(req: ExecRequest, io: StreamIO, attach: boolean): Promise<ExecResult> {
    const s = await this.tunnel.exec(
      {
        namespace: req.pod.metadata?.namespace ?? '',
        podName: req.pod.metadata?.name ?? '',
        podUid: req.pod.metadata?.uid ?? '',
        container: req.container,
        command: req.command,
        tty: req.tty,
        stdin: req.stdin,
        stdout: req.stdout,
        stderr: req.stderr,
      },
      { attach },
    );
    const onAbort = () => s.cancel();
    whenAborted(io.signal, onAbort);
    // The newest size first (it may have arrived while the session was opening), then every change.
    const unfollow = io.resize.follow((size) => s.resize(size.cols, size.rows));
    if (io.stdin && s.stdin) io.stdin.pipe(s.stdin);
    try {
      const [exit] = await Promise.all([s.exit, drainInto(s.stdout, io.stdout), drainInto(s.stderr, io.stderr)]);
      return { exitCode: exit.code };
    } catch (e) {
      return { exitCode: 1, error: e instanceof Error ? e.message : String(e) };
    } finally {
      io.signal.removeEventListener('abort', onAbort);
      unfollow();
      if (io.stdin && s.stdin) io.stdin.unpipe(s.stdin);
    }
  }

  async logs(req: LogRequest, out: Writable, signal: AbortSignal): Promise<void> {
    const o = req.opts;
    const s = await this.tunnel.logs({
      namespace: req.pod.metadata?.namespace ?? '',
      podName: req.pod.metadata?.name ?? '',
      podUid: req.pod.metadata?.uid ?? '',
      container: req.container,
      follow: !!o.follow,
      tailLines: o.tailLines,
      sinceSeconds: o.sinceSeconds,
      sinceTime: o.sinceTime ?? '',
      timestamps: !!o.timestamps,
      limitBytes: o.limitBytes,
      previous: !!o.previous,
    });
    const onAbort = () => s.cancel();
    whenAborted(signal, onAbort);
    try {
      s.stream.pipe(out, { end: false });
      await finished(s.stream);
    } catch (e) {
      if (!signal.aborted) throw e;
    } finally {
      signal.removeEventListener('abort', onAbort);
      s.stream.unpipe(out);
    }
  }

  async portForward(req: PortForwardRequest, socket: Duplex, signal: AbortSignal): Promise<void> {
    const s = await this.tunnel.portForward({
      namespace: req.pod.metadata?.namespace ?? '',
      podName: req.pod.metadata?.name ?? '',
      podUid: req.pod.metadata?.uid ?? '',
      port: req.port,
    });
    const onAbort = () => s.cancel();
    whenAborted(signal, onAbort);
    try {
      socket.pipe(s.stream);
      s.stream.pipe(socket);
      await Promise.all([finished(s.stream, { writable: false }), finished(socket, { writable: false })].map((p) => p.catch(() => undefined)));
    } finally {
      signal.removeEventListener('abort', onAbort);
    }
  }

  async statsSummary(): Promise<Summary> {
    const stats = await this.tunnel.stats([]);
    const now = new Date().toISOString();
    const pods: PodStats[] = stats.map((p) => {
      const pod = this.pods.getPod(p.namespace, p.name);
      const start = pod?.status?.startTime ? new Date(pod.status.startTime).toISOString() : this.started;
      const time = p.time || now;
      const containers = p.containers.map((c) => ({
        name: c.name,
        startTime: start,
        cpu: { time, usageNanoCores: Number(c.cpuUsageNanoCores), usageCoreNanoSeconds: Number(c.cpuUsageCoreNanoSeconds) },
        memory: { time, workingSetBytes: Number(c.memoryWorkingSetBytes), usageBytes: Number(c.memoryUsageBytes), rssBytes: Number(c.memoryRssBytes) },
      }));
      const sum = (f: (c: (typeof containers)[number]) => number | undefined) => containers.reduce((a, c) => a + (f(c) ?? 0), 0);
      return {
        podRef: { name: p.name, namespace: p.namespace, uid: p.uid },
        startTime: start,
        containers,
        cpu: { time, usageNanoCores: sum((c) => c.cpu.usageNanoCores), usageCoreNanoSeconds: sum((c) => c.cpu.usageCoreNanoSeconds) },
        memory: { time, workingSetBytes: sum((c) => c.memory.workingSetBytes), usageBytes: sum((c) => c.memory.usageBytes) },
        network: { time, rxBytes: Number(p.networkRxBytes), txBytes: Number(p.networkTxBytes) },
      };
    });
    const total = (f: (p: PodStats) => number | undefined) => pods.reduce((a, p) => a + (f(p) ?? 0), 0);
    return {
      node: {
        nodeName: this.nodeName,
        startTime: this.started,
        cpu: { time: now, usageNanoCores: total((p) => p.cpu?.usageNanoCores), usageCoreNanoSeconds: total((p) => p.cpu?.usageCoreNanoSeconds) },
        memory: { time: now, workingSetBytes: total((p) => p.memory?.workingSetBytes), usageBytes: total((p) => p.memory?.usageBytes) },
      },
      pods,
    };
  }
}
