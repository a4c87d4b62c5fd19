// In-process KubeletBackend for tests: "containers" are real local processes. Each registered
// container runs its main command (stdout/stderr kept as a timestamped log, stdin open for attach);
// exec spawns real processes (TTY through a python3 pty helper that applies resizes); port-forward
// dials real loopback TCP ports; stats come from /proc.
import { spawn, type ChildProcess } from 'node:child_process';
import { EventEmitter } from 'node:events';
import { connect } from 'node:net';
import { readFileSync } from 'node:fs';
import type { Duplex, Writable, Readable } from 'node:stream';
import type { V1Pod } from '@kubernetes/client-node';
import type { ExecRequest, ExecResult, KubeletBackend, LogRequest, PortForwardRequest, StreamIO, Summary, TerminalSize } from '../../../agent/kubelet-api/backend.js';

interface LogLine {
  time: Date;
  nanos: string;
  text: string;
}

interface Container {
  proc: ChildProcess;
  started: Date;
  log: LogLine[];
  events: EventEmitter;
  done: boolean;
}

// argv: cols rows command...; the command starts on a terminal of that size (0 0: left as is). Copies
// fd 0 → pty and pty → fd 1; fd 3 carries "cols rows\n" resize lines. Exit code is the child's.
const PTY_HELPER = String.raw`
import os, pty, sys, select, fcntl, termios, struct, signal
cols0, rows0, argv = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3:]
pid, fd = pty.fork()
if pid == 0:
    if cols0 > 0 and rows0 > 0: fcntl.ioctl(0, termios.TIOCSWINSZ, struct.pack('HHHH', rows0, cols0, 0, 0))
    os.execvp(argv[0], argv)
def setsize(cols, rows):
    fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack('HHHH', rows, cols, 0, 0))
    try: os.kill(pid, signal.SIGWINCH)
    except Exception: pass
ins = [0, fd, 3]
rbuf = b''
while True:
    try: r, _, _ = select.select(ins, [], [])
    except InterruptedError: continue
    if fd in r:
        try: data = os.read(fd, 65536)
        except OSError: data = b''
        if not data: break
        os.write(1, data)
    if 0 in r:
        data = os.read(0, 65536)
        if not data: ins.remove(0)
        else: os.write(fd, data)
    if 3 in r:
        data = os.read(3, 4096)
        if not data: ins.remove(3)
        rbuf += data
        while b'\n' in rbuf:
            line, rbuf = rbuf.split(b'\n', 1)
            c, rr = line.split()
            setsize(int(c), int(rr))
_, status = os.waitpid(pid, 0)
sys.exit(os.WEXITSTATUS(status) if os.WIFEXITED(status) else 128 + os.WTERMSIG(status))
`;

function rfc3339Nano(d: Date, nanos: string): string {
  return d.toISOString().replace(/\.\d{3}Z$/, `.${nanos}Z`);
}

export class LocalBackend implements KubeletBackend {
  private readonly pods = new Map<string, V1Pod>();
  private readonly containers = new Map<string, Container>();
  readonly started = new Date();
  /** Signals seen by backend calls, so tests can check that aborts propagate. */
  readonly aborts: string[] = [];
  /** Every exec'd command with its stdout pipe, so tests can see backpressure reach the process. */
  readonly execs: { command: string; stdout: Readable }[] = [];

  constructor(readonly nodeName: string) {}

  /** Registers a pod; each container's `command` runs as its main process. */
  addPod(pod: V1Pod): void {
    const key = `${pod.metadata!.namespace}/${pod.metadata!.name}`;
    this.pods.set(key, pod);
    for (const c of pod.spec?.containers ?? []) {
      const cmd = [...(c.command ?? ['sh', '-c', 'while true; do sleep 3600; done']), ...(c.args ?? [])];
      // Own process group, so close() also ends the container's children (which hold its pipes).
      const proc = spawn(cmd[0], cmd.slice(1), { stdio: ['pipe', 'pipe', 'pipe'], detached: true });
      const ct: Container = { proc, started: new Date(), log: [], events: new EventEmitter(), done: false };
      ct.events.setMaxListeners(100);
      let seq = 0;
      const onLines = (stream: Readable) => {
        let partial = '';
        stream.on('data', (b: Buffer) => {
          const parts = (partial + b.toString()).split('\n');
          partial = parts.pop() ?? '';
          for (const text of parts) {
            const line = { time: new Date(), nanos: String(seq++ % 1e6).padStart(6, '0').padStart(9, '0'), text: text + '\n' };
            ct.log.push(line);
            ct.events.emit('line', line);
          }
        });
      };
      onLines(proc.stdout);
      onLines(proc.stderr);
      proc.stdin.on('error', () => undefined);
      proc.on('exit', () => {
        ct.done = true;
        ct.events.emit('done');
      });
      this.containers.set(`${key}/${c.name}`, ct);
    }
  }

  /** Process group ids of the containers' main processes (each runs in a group of its own). */
  containerPids(): number[] {
    return [...this.containers.values()].map((c) => c.proc.pid!).filter(Boolean);
  }

  close(): void {
    for (const c of this.containers.values()) {
      try {
        process.kill(-c.proc.pid!, 'SIGKILL');
      } catch {
        /* already gone */
      }
    }
  }

  getPod(namespace: string, name: string): V1Pod | undefined {
    return this.pods.get(`${namespace}/${name}`);
  }
  listPods(): V1Pod[] {
    return [...this.pods.values()];
  }

  private container(pod: V1Pod, name: string): Container {
    const c = this.containers.get(`${pod.metadata!.namespace}/${pod.metadata!.name}/${name}`);
    if (!c) throw new Error(`container ${name} not found`);
    return c;
  }

  async exec(req: ExecRequest, io: StreamIO): Promise<ExecResult> {
    const size = io.resize.latest ?? { cols: 0, rows: 0 };
    const argv = req.tty ? ['python3', '-c', PTY_HELPER, String(size.cols), String(size.rows), ...req.command] : req.command;
    const child = spawn(argv[0], argv.slice(1), { stdio: ['pipe', 'pipe', 'pipe', 'pipe'] });
    const exited = new Promise<number>((resolve) => {
      child.on('error', () => resolve(-1));
      child.on('close', (code, sig) => resolve(code ?? (sig ? 128 : -1)));
    });
    const spawnError = new Promise<string | undefined>((resolve) => {
      child.on('error', (e) => resolve(e.message));
      child.on('spawn', () => resolve(undefined));
    });
    const resizePipe = child.stdio[3] as Writable;
    resizePipe.on('error', () => undefined);
    const unfollow = io.resize.follow((s: TerminalSize) => s !== size && resizePipe.write(`${s.cols} ${s.rows}\n`));
    child.stdin.on('error', () => undefined);
    if (io.stdin) io.stdin.pipe(child.stdin);
    else child.stdin.end();
    const outs: Promise<void>[] = [];
    const pipeOut = (from: Readable, to: Writable | undefined) => {
      if (!to) return void from.resume();
      from.pipe(to, { end: false });
      outs.push(new Promise((r) => from.on('end', () => r())));
    };
    this.execs.push({ command: req.command.join(' '), stdout: child.stdout });
    pipeOut(child.stdout, io.stdout);
    pipeOut(child.stderr, io.stderr ?? (req.tty ? undefined : io.stdout));
    const onAbort = () => {
      this.aborts.push(`exec:${req.command.join(' ')}`);
      child.kill('SIGKILL');
    };
    io.signal.addEventListener('abort', onAbort, { once: true });
    const err = await spawnError;
    if (err) return { exitCode: -1, error: err };
    const code = await exited;
    await Promise.all(outs);
    io.signal.removeEventListener('abort', onAbort);
    unfollow();
    io.stdin?.unpipe(child.stdin);
    return { exitCode: code };
  }

  async attach(req: ExecRequest, io: StreamIO): Promise<ExecResult> {
    const c = this.container(req.pod, req.container);
    const onLine = (l: LogLine) => io.stdout?.write(l.text);
    c.events.on('line', onLine);
    const onData = (b: Buffer) => c.proc.stdin!.write(b);
    io.stdin?.on('data', onData);
    await new Promise<void>((resolve) => {
      io.signal.addEventListener('abort', () => resolve(), { once: true });
      io.stdin?.on('end', () => resolve());
      c.events.once('done', () => resolve());
      if (c.done) resolve();
    });
    c.events.off('line', onLine);
    io.stdin?.off('data', onData);
    if (io.signal.aborted) this.aborts.push(`attach:${req.container}`);
    return { exitCode: c.done ? (c.proc.exitCode ?? 0) : 0 };
  }

  async logs(req: LogRequest, out: Writable, signal: AbortSignal): Promise<void> {
    const c = this.container(req.pod, req.container);
    const o = req.opts;
    let lines = c.log.slice();
    const since = o.sinceTime ? Date.parse(o.sinceTime) : o.sinceSeconds ? Date.now() - o.sinceSeconds * 1000 : undefined;
    if (since !== undefined) lines = lines.filter((l) => l.time.getTime() >= since);
    if (o.tailLines !== undefined) lines = o.tailLines === 0 ? [] : lines.slice(-o.tailLines);
    let budget = o.limitBytes ?? Infinity;
    const write = async (l: LogLine): Promise<boolean> => {
      let text = (o.timestamps ? `${rfc3339Nano(l.time, l.nanos)} ` : '') + l.text;
      if (Buffer.byteLength(text) > budget) text = Buffer.from(text).subarray(0, budget).toString();
      budget -= Buffer.byteLength(text);
      if (!out.write(text)) await waitFor(out, 'drain');
      return budget > 0 && !signal.aborted;
    };
    const queue: LogLine[] = [];
    let wake: (() => void) | undefined;
    let stop: () => void = () => undefined;
    const stopped = new Promise<void>((r) => (stop = r));
    const onStop = () => {
      stop();
      wake?.();
    };
    signal.addEventListener('abort', onStop, { once: true });
    c.events.once('done', onStop);
    const waitFor = (em: Writable, ev: string) => Promise.race([new Promise<void>((r) => em.once(ev, () => r())), stopped]);
    const onLine = (l: LogLine) => {
      queue.push(l);
      wake?.();
    };
    if (o.follow) c.events.on('line', onLine);
    try {
      for (const l of lines) if (!(await write(l))) return;
      while (o.follow && !signal.aborted && !c.done) {
        if (queue.length === 0) {
          await new Promise<void>((r) => (wake = r));
          wake = undefined;
        }
        while (queue.length) if (!(await write(queue.shift()!))) return;
      }
    } finally {
      signal.removeEventListener('abort', onStop);
      c.events.off('done', onStop);
      c.events.off('line', onLine);
      if (signal.aborted) this.aborts.push(`logs:${req.container}`);
    }
  }

  async portForward(req: PortForwardRequest, socket: Duplex, signal: AbortSignal): Promise<void> {
    const conn = connect({ host: '127.0.0.1', port: req.port });
    await new Promise<void>((resolve, reject) => {
      conn.once('connect', resolve);
      conn.once('error', reject);
    });
    await new Promise<void>((resolve) => {
      let ended = 0;
      const finish = () => {
        conn.destroy();
        resolve();
      };
      socket.pipe(conn);
      conn.pipe(socket, { end: true });
      conn.on('error', finish);
      socket.on('error', finish);
      conn.on('close', finish);
      socket.on('end', () => ++ended);
      signal.addEventListener('abort', finish, { once: true });
    });
  }

  statsSummary(): Promise<Summary> {
    const now = new Date().toISOString();
    const clk = 100;
    const procStats = (pid: number | undefined) => {
      try {
        const stat = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
        const cpuNs = ((Number(stat[11]) + Number(stat[12])) / clk) * 1e9;
        const rss = Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0) * 1024;
        return { cpu: { time: now, usageCoreNanoSeconds: Math.round(cpuNs), usageNanoCores: 0 }, memory: { time: now, workingSetBytes: rss, usageBytes: rss, rssBytes: rss } };
      } catch {
        return { cpu: { time: now, usageCoreNanoSeconds: 0, usageNanoCores: 0 }, memory: { time: now, workingSetBytes: 0, usageBytes: 0, rssBytes: 0 } };
      }
    };
    const node = procStats(process.pid);
    return Promise.resolve({
      node: { nodeName: this.nodeName, startTime: this.started.toISOString(), cpu: { ...node.cpu, usageCoreNanoSeconds: Math.max(1, node.cpu.usageCoreNanoSeconds) }, memory: node.memory },
      pods: [...this.pods.values()].map((pod) => {
        const containers = (pod.spec?.containers ?? []).map((c) => {
          const ct = this.containers.get(`${pod.metadata!.namespace}/${pod.metadata!.name}/${c.name}`);
          const s = procStats(ct?.proc.pid);
          return { name: c.name, startTime: (ct?.started ?? this.started).toISOString(), ...s };
        });
        const sum = (f: (x: (typeof containers)[number]) => number) => containers.reduce((a, c) => a + f(c), 0);
        return {
          podRef: { name: pod.metadata!.name!, namespace: pod.metadata!.namespace!, uid: pod.metadata!.uid ?? '' },
          startTime: this.started.toISOString(),
          containers,
          cpu: { time: now, usageCoreNanoSeconds: sum((c) => c.cpu.usageCoreNanoSeconds), usageNanoCores: 0 },
          memory: { time: now, workingSetBytes: sum((c) => c.memory.workingSetBytes), usageBytes: sum((c) => c.memory.usageBytes), rssBytes: sum((c) => c.memory.rssBytes) },
        };
      }),
    });
  }
}
