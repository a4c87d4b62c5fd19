// The `process` runtime: every container is a real local process tree (spawned detached, so it leads its own
// process group and kill(-pid) reaches all of it). Runs init containers in order, applies restart policies with
// back-off, drives readiness/liveness probes, keeps bounded logs (current + previous instance), runs execs in a
// container's environment (exec.ts) and reports every state change to the controller through RuntimeSink.
import { spawn, type ChildProcess } from 'node:child_process';
import { rmSync } from 'node:fs';
import { logger } from '../../../common/log.js';
import type { EmulatorConfig } from '../config.js';
import { backoffMs, shouldRestart } from '../lifecycle.js';
import { isoNow, type ContainerSpec, type ContainerState, type GroupRecord } from '../model.js';
import { launchPlan } from './images.js';
import { LogBuffer } from './log-buffer.js';
import { spawnExec } from './exec.js';
import { probeOnce } from './probes.js';
import { killGroup, signalNumber } from './process-group.js';
import { processGroupUsage } from './proc-stats.js';
import { hostNameServers, nameFiles, nameNamespace, wantsOwnNames, writeNameFiles } from './names.js';
import { containerEnvironment, prepareSandbox, removeSandbox, type OwnNames, type Sandbox } from './sandbox.js';
import type { ContainerMetrics, ExecOptions, ExecSession, LogLine, Runtime, RuntimeSink } from './types.js';

interface Instance {
  spec: ContainerSpec;
  kind: 'app' | 'init';
  log: LogBuffer;
  prevLog?: LogBuffer;
  child?: ChildProcess;
  pgid?: number;
  startedAtMs?: number;
  restartCount: number;
  backoffCount: number;
  timers: Set<NodeJS.Timeout>;
  exited?: Promise<void>;
  /** Set while the runtime itself stops the instance (delete/restart/update): no automatic restart. */
  stopping: boolean;
  generation: number;
}

interface Run {
  group: GroupRecord;
  sandbox: Sandbox;
  instances: Map<string, Instance>;
  stopped: boolean;
  execs: Set<ChildProcess>;
  /** Set while the group has names of its own and this host can show them (names.ts): every spawn goes through it. */
  names?: OwnNames;
  /** The name-related spec the files were last written for. */
  namesFor?: string;
  /** The "resolution is the host's" warning was logged for this group. */
  hostNamesLogged?: boolean;
}

const log = logger('eci-emulator', { runtime: 'process' });

export class ProcessRuntime implements Runtime {
  readonly kind = 'process' as const;
  private readonly runs = new Map<string, Run>();
  private readonly livePgids = new Set<number>();
  private readonly onExit = (): void => {
    for (const p of this.livePgids) killGroup(p, 'SIGKILL');
  };

  constructor(
    private readonly sink: RuntimeSink,
    private readonly config: () => EmulatorConfig,
  ) {
    process.on('exit', this.onExit);
  }

  start(group: GroupRecord): void {
    let run = this.runs.get(group.id);
    if (!run) {
      const sandbox = prepareSandbox(this.config().dataDir, group);
      run = { group, sandbox, instances: new Map(), stopped: false, execs: new Set() };
      this.runs.set(group.id, run);
    }
    this.applyNames(run, group);
    run.stopped = false;
    run.group = group;
    for (const spec of group.spec.initContainers) this.instance(run, spec, 'init');
    for (const spec of group.spec.containers) this.instance(run, spec, 'app');
    this.runInit(run, 0);
  }

  /**
   * Writes the group's /etc/hosts and /etc/resolv.conf (again only when what they are made of changed) and decides
   * whether its processes run in the private mount namespace that shows them (names.ts).
   */
  private applyNames(run: Run, g: GroupRecord): void {
    const s = g.spec;
    const key = JSON.stringify([s.name, s.hostName, s.hostAliases, s.dnsConfig, s.dnsPolicy, g.intranetIp]);
    if (run.namesFor === key) return;
    run.namesFor = key;
    const content = nameFiles(s, g.intranetIp, hostNameServers());
    const files = writeNameFiles(run.sandbox.root, content);
    for (const w of content.warnings) {
      log.warn({ groupId: g.id }, w);
      this.sink.event(g.id, 'Warning', 'DNSConfigForming', w);
    }
    run.names = undefined;
    if (!wantsOwnNames(s)) return;
    const ns = nameNamespace();
    if (ns.ok) run.names = { ns, files };
    else if (!run.hostNamesLogged) {
      run.hostNamesLogged = true;
      log.warn({ groupId: g.id, hostsFile: files.hosts, resolvFile: files.resolv }, `group asks for HostAliases/DnsConfig/DnsPolicy None, but ${ns.reason}: its processes resolve names through the host's /etc/hosts and /etc/resolv.conf`);
    }
  }

  private instance(run: Run, spec: ContainerSpec, kind: 'app' | 'init'): Instance {
    let inst = run.instances.get(spec.name);
    if (!inst) {
      inst = { spec, kind, log: new LogBuffer(this.config().logs.maxBytesPerContainer), restartCount: 0, backoffCount: 0, timers: new Set(), stopping: false, generation: 0 };
      run.instances.set(spec.name, inst);
    }
    inst.spec = spec;
    return inst;
  }

  private runInit(run: Run, index: number): void {
    if (run.stopped) return;
    const inits = run.group.spec.initContainers;
    if (index >= inits.length) {
      for (const spec of run.group.spec.containers) this.launch(run, run.instances.get(spec.name)!);
      return;
    }
    this.launch(run, run.instances.get(inits[index].name)!, (code) => {
      if (code === 0) this.runInit(run, index + 1);
    });
  }

  /** Starts one instance; `onExit` is called for init containers after the exit was handled. */
  private launch(run: Run, inst: Inst, onInitExit?: (code: number) => void): void {
    if (run.stopped) return;
    const g = run.group;
    const spec = inst.spec;
    const plan = launchPlan(spec);
    this.sink.event(g.id, 'Normal', 'Pulling', `Pulling image "${spec.image}"`, spec.name);
    if ('error' in plan) {
      this.sink.event(g.id, 'Warning', 'Failed', `Failed to pull image "${spec.image}": ${plan.error}`, spec.name);
      this.sink.updateContainer(g.id, inst.kind, spec.name, { ready: false, current: { state: 'Waiting', reason: 'ErrImagePull', detailStatus: 'ErrImagePull', message: plan.error } });
      return;
    }
    this.sink.event(g.id, 'Normal', 'Pulled', `Successfully pulled image "${spec.image}"`, spec.name);
    const ce = containerEnvironment(run.sandbox, g, spec, run.names);
    const plain = plan.argv.map((a, i) => (plan.web && i < 2 ? a : ce.rewrite(a)));
    const argv = ce.wrap?.(plain) ?? plain;
    this.sink.event(g.id, 'Normal', 'Created', `Created container ${spec.name}`, spec.name);
    const startedAt = Date.now();
    const generation = ++inst.generation;
    let child: ChildProcess;
    try {
      child = spawn(argv[0], argv.slice(1), { cwd: ce.cwd, env: ce.env, detached: true, stdio: [spec.stdin ? 'pipe' : 'ignore', 'pipe', 'pipe'] });
    } catch (e) {
      this.onInstanceExit(run, inst, generation, 128, null, startedAt, `failed to start: ${(e as Error).message}`, onInitExit);
      return;
    }
    inst.child = child;
    inst.pgid = child.pid;
    inst.startedAtMs = startedAt;
    inst.stopping = false;
    if (child.pid) this.livePgids.add(child.pid);
    child.stdout?.on('data', (d: Buffer) => inst.log.append(d));
    child.stderr?.on('data', (d: Buffer) => inst.log.append(d));
    child.stdin?.on('error', () => undefined);
    let resolveExit!: () => void;
    inst.exited = new Promise<void>((r) => (resolveExit = r));
    let startError: string | undefined;
    child.on('error', (e) => {
      startError = `failed to start container process: ${e.message}`;
      inst.log.append(`${startError}\n`);
    });
    child.on('close', (code, sig) => {
      if (child.pid) {
        killGroup(child.pid, 'SIGKILL'); // the container is gone: so is everything it left in its process group
        this.livePgids.delete(child.pid);
      }
      inst.log.flush();
      inst.child = undefined;
      const exitCode = startError ? 128 : sig ? 128 + signalNumber(sig) : (code ?? 0);
      this.onInstanceExit(run, inst, generation, exitCode, sig, startedAt, startError, onInitExit);
      resolveExit();
    });
    if (!child.pid) return; // 'error' will follow
    this.sink.event(g.id, 'Normal', 'Started', `Started container ${spec.name}`, spec.name);
    const noReadiness = inst.kind === 'init' || !spec.readinessProbe;
    this.sink.updateContainer(g.id, inst.kind, spec.name, {
      started: true,
      ready: noReadiness,
      restartCount: inst.restartCount,
      current: { state: 'Running', reason: 'Started', detailStatus: 'Started', startTime: isoNow(startedAt) },
    });
    if (inst.kind === 'app') this.startProbes(run, inst, generation);
  }

  private onInstanceExit(run: Run, inst: Inst, generation: number, exitCode: number, sig: NodeJS.Signals | null, startedAt: number, message: string | undefined, onInitExit?: (code: number) => void): void {
    for (const t of inst.timers) clearTimeout(t);
    inst.timers.clear();
    if (generation !== inst.generation) return;
    const g = run.group;
    const terminated: ContainerState = {
      state: 'Terminated',
      reason: message ? 'StartError' : exitCode === 0 ? 'Completed' : 'Error',
      detailStatus: message ? 'StartError' : exitCode === 0 ? 'Completed' : 'Error',
      message,
      exitCode,
      signal: signalNumber(sig),
      startTime: isoNow(startedAt),
      finishTime: isoNow(),
    };
    const restart = !run.stopped && !inst.stopping && shouldRestart(g.spec.restartPolicy === 'Never' ? 'Never' : inst.kind === 'init' ? 'OnFailure' : g.spec.restartPolicy, exitCode);
    if (!restart) {
      this.sink.updateContainer(g.id, inst.kind, inst.spec.name, { ready: false, current: terminated });
      if (!run.stopped && !inst.stopping) onInitExit?.(exitCode);
      return;
    }
    const cfg = this.config().backoff;
    if (Date.now() - startedAt > cfg.resetAfterMs) inst.backoffCount = 0;
    const delay = backoffMs(inst.backoffCount++, cfg.initialMs, cfg.maxMs);
    this.sink.event(g.id, 'Warning', 'BackOff', `Back-off restarting failed container ${inst.spec.name}`, inst.spec.name);
    this.sink.updateContainer(g.id, inst.kind, inst.spec.name, {
      ready: false,
      previous: terminated,
      current: { state: 'Waiting', reason: 'CrashLoopBackOff', detailStatus: 'CrashLoopBackOff', message: `back-off ${Math.round(delay / 1000)}s restarting failed container=${inst.spec.name}` },
    });
    const t = setTimeout(() => {
      inst.timers.delete(t);
      if (run.stopped || inst.stopping) return;
      inst.restartCount++;
      inst.prevLog = inst.log;
      inst.log = new LogBuffer(this.config().logs.maxBytesPerContainer);
      this.launch(run, inst, onInitExit);
    }, delay);
    inst.timers.add(t);
  }

  private startProbes(run: Run, inst: Inst, generation: number): void {
    const spec = inst.spec;
    const g = run.group;
    const ce = containerEnvironment(run.sandbox, g, spec, run.names);
    const loop = (kind: 'Readiness' | 'Liveness', p = kind === 'Readiness' ? spec.readinessProbe : spec.livenessProbe): void => {
      if (!p) return;
      let ok = 0;
      let bad = 0;
      let ready = false;
      const tick = async (): Promise<void> => {
        if (run.stopped || inst.generation !== generation || !inst.child) return;
        const r = await probeOnce(p, g.intranetIp, ce);
        if (run.stopped || inst.generation !== generation || !inst.child) return;
        if (r.ok) {
          ok++;
          bad = 0;
          if (kind === 'Readiness' && !ready && ok >= p.successThreshold) {
            ready = true;
            this.sink.updateContainer(g.id, 'app', spec.name, { ready: true });
          }
        } else {
          bad++;
          ok = 0;
          this.sink.event(g.id, 'Warning', 'Unhealthy', `${kind} probe failed: ${r.detail}`, spec.name);
          if (kind === 'Readiness' && ready && bad >= p.failureThreshold) {
            ready = false;
            this.sink.updateContainer(g.id, 'app', spec.name, { ready: false });
          }
          if (kind === 'Liveness' && bad >= p.failureThreshold) {
            this.sink.event(g.id, 'Normal', 'Killing', `Container ${spec.name} failed liveness probe, will be restarted`, spec.name);
            void this.terminate(inst, this.config().grace.defaultSeconds, false);
            return;
          }
        }
        schedule(p.periodSeconds * 1000);
      };
      const schedule = (ms: number): void => {
        const t = setTimeout(() => {
          inst.timers.delete(t);
          void tick();
        }, ms);
        inst.timers.add(t);
      };
      schedule(p.initialDelaySeconds * 1000);
    };
    loop('Readiness');
    loop('Liveness');
  }

  /** SIGTERM the instance's process group, SIGKILL after the grace period, wait until it is gone. */
  private async terminate(inst: Inst, graceSeconds: number, markStopping = true): Promise<void> {
    if (markStopping) inst.stopping = true;
    for (const t of inst.timers) clearTimeout(t);
    inst.timers.clear();
    const child = inst.child;
    if (!child || !inst.exited) return;
    killGroup(child.pid, 'SIGTERM');
    const killer = setTimeout(() => killGroup(child.pid, 'SIGKILL'), graceSeconds * 1000);
    await inst.exited;
    clearTimeout(killer);
  }

  async stop(group: GroupRecord, graceSeconds: number): Promise<void> {
    const run = this.runs.get(group.id);
    if (!run) return;
    run.stopped = true;
    for (const e of run.execs) killGroup(e.pid, 'SIGKILL');
    await Promise.all(
      [...run.instances.values()].map(async (inst) => {
        if (inst.child) this.sink.event(group.id, 'Normal', 'Killing', `Stopping container ${inst.spec.name}`, inst.spec.name);
        await this.terminate(inst, graceSeconds);
      }),
    );
  }

  async restart(group: GroupRecord, graceSeconds: number): Promise<void> {
    await this.stop(group, graceSeconds);
    const run = this.runs.get(group.id);
    if (!run) return;
    for (const inst of run.instances.values()) {
      inst.stopping = false;
      inst.backoffCount = 0;
      inst.prevLog = inst.log;
      inst.log = new LogBuffer(this.config().logs.maxBytesPerContainer);
      const status = (inst.kind === 'app' ? group.containers : group.initContainers).find((c) => c.name === inst.spec.name);
      if (status?.current.state === 'Terminated') {
        inst.restartCount++;
        this.sink.updateContainer(group.id, inst.kind, inst.spec.name, { ready: false, previous: status.current, restartCount: inst.restartCount, current: { state: 'Waiting', reason: 'ContainerCreating' } });
      }
    }
    this.start(group);
  }

  async update(group: GroupRecord, changed: string[], graceSeconds: number): Promise<void> {
    const run = this.runs.get(group.id);
    if (!run) return;
    this.applyNames(run, group);
    const names = new Set(group.spec.containers.map((c) => c.name));
    for (const [name, inst] of run.instances) {
      if (inst.kind === 'app' && !names.has(name)) {
        await this.terminate(inst, graceSeconds);
        run.instances.delete(name);
      }
    }
    const initDone = group.initContainers.every((c) => c.current.state === 'Terminated' && c.current.exitCode === 0);
    for (const spec of group.spec.containers) {
      const existing = run.instances.get(spec.name);
      const inst = this.instance(run, spec, 'app');
      if (!initDone) continue;
      if (existing && !changed.includes(spec.name)) continue;
      if (existing?.child) {
        this.sink.event(group.id, 'Normal', 'Killing', `Container ${spec.name} definition changed, will be restarted`, spec.name);
        await this.terminate(existing, graceSeconds);
        const st = group.containers.find((c) => c.name === spec.name);
        inst.restartCount++;
        inst.prevLog = inst.log;
        inst.log = new LogBuffer(this.config().logs.maxBytesPerContainer);
        this.sink.updateContainer(group.id, 'app', spec.name, { previous: st?.current, restartCount: inst.restartCount });
      }
      inst.stopping = false;
      this.launch(run, inst);
    }
  }

  exec(group: GroupRecord, container: string, command: string[], opts: ExecOptions): ExecSession {
    const run = this.runs.get(group.id);
    const spec = group.spec.containers.find((c) => c.name === container) ?? group.spec.initContainers.find((c) => c.name === container);
    if (!run || !spec) throw new Error(`container ${container} is not running`);
    return spawnExec(containerEnvironment(run.sandbox, group, spec, run.names), command, opts, {
      started: (child) => {
        run.execs.add(child);
        if (child.pid) this.livePgids.add(child.pid);
      },
      exited: (child) => {
        run.execs.delete(child);
        if (child.pid) this.livePgids.delete(child.pid);
      },
    });
  }

  logs(groupId: string, container: string, previous: boolean): LogLine[] | undefined {
    const inst = this.runs.get(groupId)?.instances.get(container);
    if (!inst) return undefined;
    return previous ? inst.prevLog?.snapshot() : inst.log.snapshot();
  }

  metrics(group: GroupRecord): ContainerMetrics[] {
    const run = this.runs.get(group.id);
    const insts = run ? [...run.instances.values()].filter((i) => i.kind === 'app') : [];
    const usage = processGroupUsage(new Set(insts.map((i) => i.pgid).filter((p): p is number => !!p && !!insts.find((x) => x.pgid === p)?.child)));
    return group.spec.containers.map((c) => {
      const inst = run?.instances.get(c.name);
      const u = inst?.child && inst.pgid ? usage.get(inst.pgid) : undefined;
      return { name: c.name, cpuNs: u?.cpuNs ?? 0, rssBytes: u?.rssBytes ?? 0, workingSetBytes: u?.rssBytes ?? 0 };
    });
  }

  /** Pids (process-group leaders) still alive for a group: used by tests to prove cleanup. */
  pids(groupId: string): number[] {
    const run = this.runs.get(groupId);
    return run ? [...run.instances.values()].map((i) => i.pgid).filter((p): p is number => !!p) : [];
  }

  forget(groupId: string): void {
    this.runs.delete(groupId);
    removeSandbox(this.config().dataDir, groupId);
  }

  async close(): Promise<void> {
    await Promise.all([...this.runs.values()].map((r) => this.stop(r.group, 1)));
    for (const p of this.livePgids) killGroup(p, 'SIGKILL');
    this.runs.clear();
    process.off('exit', this.onExit);
    rmSync(this.config().dataDir, { recursive: true, force: true });
  }
}

type Inst = Instance;
