// The interactive half of the relay's ECI provider: exec (ExecContainerCommand + its WebSocket), attach (ECI
// has none: output-only attach follows the container log from now on; stdin/TTY attach is refused), logs (DescribeContainerLog, polled for -f), port-forward (dial the group's private
// IP) and stats (cached DescribeMultiContainerGroupMetric). The control path supplies callerFor/resolveGroup.
import type { EciCaller } from '../api.js';
import { $Eci, type EciClient, type $Util } from '../sdk.js';
import { ProviderError, type ExecIO, type ExecRequest, type ExitStatus, type PodProvider, type TenantScope } from '../../pod-provider/provider.js';
import { DEFAULT_EXEC_WS_LIMITS, runExecWebSocket } from './exec-ws.js';
import { sessionError } from './errors.js';
import { streamLogs } from './logs.js';
import { defaultDial, forwardPort } from './port-forward.js';
import { StatsSource } from './stats.js';

export interface ResolvedGroup {
  groupId: string;
  intranetIp: string;
  /** App container names. */
  containers: string[];
  /** ECI group Status (Running, Pending, Succeeded, ...). */
  status: string;
}

interface SessionLimits {
  /** A session with no traffic for this long ends (exec, port-forward, logs -f with no new line). Default 4 h (kubelet's). */
  idleMs: number;
  /** Stdin bytes waiting in the exec WebSocket before stdin is paused. */
  execStdinBufferedBytes: number;
  /** Largest exec frame accepted from ECI. */
  execMaxFrameBytes: number;
  execHandshakeTimeoutMs: number;
  portForwardConnectTimeoutMs: number;
  /** Ceiling of the logs -f poll interval while idle. */
  logPollMaxMs: number;
  /** How often an idle logs -f checks whether the group finished. */
  logStatusCheckMs: number;
  logMaxPollFailures: number;
  /** Upper bound of groups listed per stats snapshot. */
  statsMaxGroups: number;
}

export interface EciSessionsDeps {
  callerFor: (scope: TenantScope) => EciCaller;
  resolveGroup(scope: TenantScope, podUid: string): Promise<ResolvedGroup | undefined>;
  /** logs -f poll interval while lines arrive (default 500 ms). */
  logPollMs?: number;
  /** How long one stats snapshot serves a tenant cluster (default 10 s). */
  metricsCacheMs?: number;
  limits?: Partial<SessionLimits>;
}

export type EciSessions = Pick<PodProvider, 'exec' | 'attach' | 'logs' | 'portForward' | 'stats'>;

const DEFAULT_SESSION_LIMITS: SessionLimits = {
  idleMs: 4 * 3600_000,
  execStdinBufferedBytes: DEFAULT_EXEC_WS_LIMITS.stdinBufferedBytes,
  execMaxFrameBytes: DEFAULT_EXEC_WS_LIMITS.maxFrameBytes,
  execHandshakeTimeoutMs: DEFAULT_EXEC_WS_LIMITS.handshakeTimeoutMs,
  portForwardConnectTimeoutMs: 10_000,
  logPollMaxMs: 1000,
  logStatusCheckMs: 5000,
  logMaxPollFailures: 5,
  statsMaxGroups: 5000,
};

/** ECI limits on ExecContainerCommand's Command (a JSON array string). */
const MAX_EXEC_ARGS = 20;
const MAX_EXEC_ARG_CHARS = 256;
const TERMINAL = new Set(['Succeeded', 'Failed', 'Expired']);

export function createEciSessions(deps: EciSessionsDeps): EciSessions {
  const limits: SessionLimits = { ...DEFAULT_SESSION_LIMITS, ...deps.limits };
  const pollMs = deps.logPollMs ?? 500;
  const cacheMs = deps.metricsCacheMs ?? 10_000;
  const statsSource = new StatsSource({ callerFor: deps.callerFor, cacheMs, staleMs: Math.max(60_000, 4 * cacheMs), maxGroups: limits.statsMaxGroups });

  async function group(scope: TenantScope, uid: string): Promise<ResolvedGroup> {
    let g: ResolvedGroup | undefined;
    try {
      g = await deps.resolveGroup(scope, uid);
    } catch (err) {
      throw sessionError(err, `looking up the ECI container group of pod ${uid}`);
    }
    if (!g) throw new ProviderError('NOT_FOUND', `pod ${uid} has no ECI container group in cluster ${scope.clusterId}`);
    return g;
  }

  function containerOf(g: ResolvedGroup, uid: string, name: string): string {
    if (name) {
      if (!g.containers.includes(name)) throw new ProviderError('NOT_FOUND', `container "${name}" is not in pod ${uid} (containers: ${g.containers.join(', ') || 'none'})`);
      return name;
    }
    if (g.containers.length === 1) return g.containers[0];
    throw new ProviderError('INVALID_ARGUMENT', `a container name must be specified for pod ${uid}, choose one of: [${g.containers.join(' ')}]`);
  }

  function checkCommand(cmd: string[]): void {
    if (cmd.length === 0) throw new ProviderError('INVALID_ARGUMENT', 'exec needs a command');
    if (cmd.length > MAX_EXEC_ARGS) throw new ProviderError('INVALID_ARGUMENT', `ECI runs commands of at most ${MAX_EXEC_ARGS} arguments; this one has ${cmd.length} (wrap it in sh -c "...")`);
    const long = cmd.findIndex((a) => a.length > MAX_EXEC_ARG_CHARS);
    if (long >= 0) throw new ProviderError('INVALID_ARGUMENT', `ECI accepts exec arguments of at most ${MAX_EXEC_ARG_CHARS} characters; argument ${long} has ${cmd[long].length}`);
  }

  const api: EciSessions = {
    async exec(scope: TenantScope, req: ExecRequest, io: ExecIO): Promise<ExitStatus> {
      checkCommand(req.command);
      const g = await group(scope, req.podUid);
      const container = containerOf(g, req.podUid, req.container);
      if (g.status !== 'Running') throw new ProviderError('FAILED_PRECONDITION', `cannot exec in pod ${req.podUid}: its container group ${g.groupId} is ${g.status}, not Running`);
      const caller = deps.callerFor(scope);
      let uri: string | undefined;
      try {
        const res = await caller.call(
          'ExecContainerCommand',
          (c: EciClient, rt: $Util.RuntimeOptions) =>
            c.execContainerCommandWithOptions(
              new $Eci.ExecContainerCommandRequest({
                regionId: caller.regionId,
                containerGroupId: g.groupId,
                containerName: container,
                command: JSON.stringify(req.command),
                TTY: req.tty,
                stdin: req.stdin,
                sync: false,
              }),
              rt,
            ),
          { signal: io.signal },
        );
        uri = res.body?.webSocketUri;
      } catch (err) {
        throw sessionError(err, `exec in container ${container} of pod ${req.podUid}`);
      }
      if (!uri) throw new ProviderError('UNAVAILABLE', `ECI returned no WebSocketUri for exec in container ${container} of pod ${req.podUid}`);
      // stdout and stderr arrive on their own channels and go where the caller asked for them (a TTY's output is
      // all stdout: the terminal merges it).
      return runExecWebSocket(
        uri,
        { stdin: req.stdin ? io.stdin : null, stdout: req.stdout ? io.stdout : null, stderr: req.stderr ? io.stderr : null, resize: req.tty ? io.resize : null, signal: io.signal },
        { stdinBufferedBytes: limits.execStdinBufferedBytes, maxFrameBytes: limits.execMaxFrameBytes, handshakeTimeoutMs: limits.execHandshakeTimeoutMs, idleMs: limits.idleMs },
      );
    },

    async attach(scope: TenantScope, req: ExecRequest, io: ExecIO): Promise<ExitStatus> {
      // Fail fast on an unknown pod/container first, so the message is about the real limitation.
      const g = await group(scope, req.podUid);
      const container = containerOf(g, req.podUid, req.container);
      if (req.stdin || req.tty) {
        throw new ProviderError(
          'FAILED_PRECONDITION',
          `attach with stdin or a TTY is not supported for ECI pods (container ${container} of pod ${req.podUid}): ECI's OpenAPI can start a new process in a container (ExecContainerCommand) but cannot connect to the main process's stdin; use kubectl exec -it, or kubectl attach without -i/-t to watch its output`,
        );
      }
      // Output only: what the main process writes from now on, read from ECI's container log (stdout
      // and stderr arrive merged on stdout), until the container ends or the client leaves.
      const out = req.stdout ? io.stdout : req.stderr ? io.stderr : null;
      if (!out) throw new ProviderError('INVALID_ARGUMENT', 'attach needs at least one of stdout or stderr');
      if (g.status !== 'Running') throw new ProviderError('FAILED_PRECONDITION', `cannot attach to pod ${req.podUid}: its container group ${g.groupId} is ${g.status}, not Running`);
      await api.logs(
        scope,
        { namespace: req.namespace, podName: req.podName, podUid: req.podUid, container, follow: true, tailLines: 0, sinceTime: '', timestamps: false, previous: false },
        out,
        io.signal,
      );
      return { code: 0, reason: '', message: '' };
    },

    async logs(scope, req, sink, signal): Promise<void> {
      const g = await group(scope, req.podUid);
      const container = containerOf(g, req.podUid, req.container);
      await streamLogs(
        {
          caller: deps.callerFor(scope),
          groupId: g.groupId,
          container,
          isFinished: async () => {
            const now = await deps.resolveGroup(scope, req.podUid);
            return !now || now.groupId !== g.groupId || TERMINAL.has(now.status);
          },
        },
        req,
        sink,
        signal,
        { pollMs, pollMaxMs: Math.max(pollMs, limits.logPollMaxMs), idleMs: limits.idleMs, statusCheckMs: limits.logStatusCheckMs, maxPollFailures: limits.logMaxPollFailures },
      );
    },

    async portForward(scope, req, stream, signal): Promise<void> {
      if (!Number.isInteger(req.port) || req.port < 1 || req.port > 65535) throw new ProviderError('INVALID_ARGUMENT', `port ${req.port} is not a TCP port`);
      const g = await group(scope, req.podUid);
      if (!g.intranetIp) throw new ProviderError('FAILED_PRECONDITION', `pod ${req.podUid} has no private IP yet (container group ${g.groupId} is ${g.status})`);
      await forwardPort(defaultDial, g.intranetIp, req.port, stream, signal, { connectTimeoutMs: limits.portForwardConnectTimeoutMs, idleMs: limits.idleMs });
    },

    stats(scope, uids) {
      return statsSource.stats(scope, uids);
    },
  };
  return api;
}
