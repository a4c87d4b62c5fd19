// Kubernetes container / init container -> ECI CreateContainerGroup Container.N / InitContainer.N: image, command,
// args, env (literal, agent-resolved valueFrom, ECI FieldRef for status.podIP), ports, resources, probes,
// security context, lifecycle hooks, stdin/tty, termination message and volume mounts. Rejects what ECI cannot run.
import * as $Eci from '@alicloud/eci20180808';
import type { V1Container, V1Pod, V1Probe, V1LifecycleHandler, V1EnvVar, V1PodSecurityContext } from '@kubernetes/client-node';
import { containerResources, type ContainerResources } from './resources.js';
import { parseQuantity } from '../../../common/quantity.js';
import { expandVars, referencedVars } from './expansion.js';
import type { Issues, ResolvedPodInputs } from './types.js';

type ContainerKind = 'containers' | 'initContainers';

interface ContainerContext {
  pod: V1Pod;
  resolved: ResolvedPodInputs;
  issues: Issues;
  volumeNames: ReadonlySet<string>;
}

/** Field paths ECI's EnvironmentVar.N.FieldRef.FieldPath resolves itself. */
const ECI_FIELD_REFS = new Set(['status.podIP']);
/** Capabilities ECI lets a container add (docs: SecurityContext.Capability.Add). */
const ECI_ADDABLE_CAPABILITIES = new Set(['NET_ADMIN', 'NET_RAW']);
/** containerd's default capability set: adding these is a no-op, so they are accepted and not sent. */
const DEFAULT_CAPABILITIES = new Set(['CHOWN', 'DAC_OVERRIDE', 'FSETID', 'FOWNER', 'MKNOD', 'SETGID', 'SETUID', 'SETFCAP', 'SETPCAP', 'NET_BIND_SERVICE', 'SYS_CHROOT', 'KILL', 'AUDIT_WRITE']);
const PULL_POLICIES = ['Always', 'IfNotPresent', 'Never'];
const PROPAGATIONS = ['None', 'HostToContainer', 'Bidirectional'];

interface EnvPair { key: string; value?: string; fieldPath?: string }

interface MappedEnv {
  vars: EnvPair[];
  hide: boolean;
  /** Final values known at mapping time, for `$(VAR)` expansion in command/args. */
  known: Map<string, string>;
  /** Variables ECI fills at runtime (FieldRef); `$(VAR)` references to them cannot be expanded here. */
  runtime: Set<string>;
}

function mapEnv(c: V1Container, path: string, ctx: ContainerContext): MappedEnv {
  const resolved = ctx.resolved.env[c.name] ?? {};
  const declared = new Set((c.env ?? []).map((e) => e.name));
  const vars: EnvPair[] = [];
  const known = new Map<string, string>();
  const runtime = new Set<string>();
  let hide = (c.envFrom ?? []).some((s) => s.secretRef);
  if ((c.envFrom ?? []).length > 0) {
    for (const [key, value] of Object.entries(resolved)) {
      if (declared.has(key)) continue;
      vars.push({ key, value });
      known.set(key, value);
    }
  }
  (c.env ?? []).forEach((e, j) => {
    const field = `${path}.env[${j}]`;
    const v = envValue(e, c, field, resolved, ctx);
    if (e.valueFrom?.secretKeyRef) hide = true;
    if (!v) return;
    // Like kubelet: only literal values are expanded, against the variables defined before them.
    if (!e.valueFrom && v.value) v.value = expandVars(v.value, (n) => known.get(n));
    if (v.fieldPath) { runtime.add(v.key); known.delete(v.key); } else { known.set(v.key, v.value ?? ''); runtime.delete(v.key); }
    vars.push(v);
  });
  return { vars, hide, known, runtime };
}

/** Expands `$(VAR)` in command/args like kubelet; warns about references ECI resolves only at runtime. */
function expandArgv(list: string[] | undefined, env: MappedEnv, field: string, issues: Issues): string[] | undefined {
  if (!list) return undefined;
  return list.map((s) => {
    for (const name of referencedVars(s)) {
      if (env.runtime.has(name)) issues.warn(`${field}: $(${name}) is filled by ECI at runtime (status.podIP) and is passed unexpanded; read the variable inside the container (e.g. sh -c '... $${name}') instead`);
    }
    return expandVars(s, (n) => env.known.get(n));
  });
}

function envValue(e: V1EnvVar, c: V1Container, field: string, resolved: Record<string, string>, ctx: ContainerContext): EnvPair | undefined {
  if (!e.valueFrom) return { key: e.name, value: e.value ?? '' };
  const from = e.valueFrom;
  const fieldPath = from.fieldRef?.fieldPath;
  if (fieldPath !== undefined) {
    if (ECI_FIELD_REFS.has(fieldPath) || fieldPath === 'status.podIPs') return { key: e.name, fieldPath: 'status.podIP' };
    if (resolved[e.name] !== undefined) return { key: e.name, value: resolved[e.name] };
    const local = localFieldRef(fieldPath, ctx.pod);
    if (local !== undefined) return { key: e.name, value: local };
    if (fieldPath === 'status.hostIP' || fieldPath === 'status.hostIPs') {
      ctx.issues.warn(`${field}: ${fieldPath} has no separate host on ECI; the variable ${e.name} gets the instance IP (status.podIP)`);
      return { key: e.name, fieldPath: 'status.podIP' };
    }
    ctx.issues.error(`${field}.valueFrom.fieldRef`, `env ${e.name} refers to field ${fieldPath}, which ECI cannot provide and the agent did not resolve; use a literal value or a supported field (metadata.*, spec.serviceAccountName, status.podIP)`);
    return undefined;
  }
  if (resolved[e.name] !== undefined) return { key: e.name, value: resolved[e.name] };
  if (from.resourceFieldRef) {
    const local = localResourceField(from.resourceFieldRef.resource, from.resourceFieldRef.divisor, from.resourceFieldRef.containerName ? findContainer(ctx.pod, from.resourceFieldRef.containerName) : c);
    if (local !== undefined) return { key: e.name, value: local };
  }
  if (from.secretKeyRef?.optional || from.configMapKeyRef?.optional) return undefined;
  ctx.issues.error(`${field}.valueFrom`, `env ${e.name} takes its value from a reference the agent did not resolve (missing secret/configMap key?); create the referenced object or mark the reference optional`);
  return undefined;
}

function findContainer(pod: V1Pod, name: string): V1Container | undefined {
  return [...(pod.spec?.containers ?? []), ...(pod.spec?.initContainers ?? [])].find((c) => c.name === name);
}

/** Downward-API fields the mapper can fill in from the pod object itself. */
function localFieldRef(fieldPath: string, pod: V1Pod): string | undefined {
  const md = pod.metadata ?? {};
  const sel = /^metadata\.(labels|annotations)\['(.+)'\]$/.exec(fieldPath);
  if (sel) return (sel[1] === 'labels' ? md.labels : md.annotations)?.[sel[2]] ?? '';
  switch (fieldPath) {
    case 'metadata.name': return md.name;
    case 'metadata.namespace': return md.namespace;
    case 'metadata.uid': return md.uid;
    case 'spec.nodeName': return pod.spec?.nodeName;
    case 'spec.serviceAccountName': return pod.spec?.serviceAccountName ?? 'default';
    default: return undefined;
  }
}

function localResourceField(resource: string, divisor: string | undefined, c: V1Container | undefined): string | undefined {
  if (!c) return undefined;
  const kind = /^(limits|requests)\.(cpu|memory|ephemeral-storage)$/.exec(resource);
  if (!kind) return undefined;
  const raw = kind[1] === 'limits' ? c.resources?.limits?.[kind[2]] ?? c.resources?.requests?.[kind[2]] : c.resources?.requests?.[kind[2]] ?? c.resources?.limits?.[kind[2]];
  if (raw === undefined) return undefined;
  const v = parseQuantity(raw);
  const d = parseQuantity(divisor ?? '1') ?? 1;
  return v === undefined || d === 0 ? undefined : String(Math.ceil(v / d - 1e-9));
}

function resolvePort(port: number | string | undefined, c: V1Container, field: string, issues: Issues): number | undefined {
  if (typeof port === 'number') return port;
  if (port === undefined) { issues.error(field, 'port is required: set the port number or the name of a declared container port'); return undefined; }
  if (/^\d+$/.test(port)) return Number(port);
  const named = (c.ports ?? []).find((p) => p.name === port);
  if (named) return named.containerPort;
  issues.error(field, `named port "${port}" is not declared in this container's ports; declare it or use the port number`);
  return undefined;
}

interface ProbeShape {
  initialDelaySeconds?: number; periodSeconds?: number; timeoutSeconds?: number; successThreshold?: number; failureThreshold?: number;
  exec?: { command: string[] }; httpGet?: { path?: string; port?: number; scheme?: string }; tcpSocket?: { port?: number };
}

function mapProbe(p: V1Probe, c: V1Container, field: string, issues: Issues): ProbeShape | undefined {
  const out: ProbeShape = {
    initialDelaySeconds: p.initialDelaySeconds, periodSeconds: p.periodSeconds, timeoutSeconds: p.timeoutSeconds,
    successThreshold: p.successThreshold, failureThreshold: p.failureThreshold,
  };
  if (p.terminationGracePeriodSeconds !== undefined) issues.warn(`${field}.terminationGracePeriodSeconds is not supported by ECI and is ignored`);
  if (p.exec) out.exec = { command: p.exec.command ?? [] };
  else if (p.httpGet) {
    if (p.httpGet.host) issues.warn(`${field}.httpGet.host is not supported by ECI; the probe targets the instance IP`);
    if ((p.httpGet.httpHeaders ?? []).length > 0) issues.warn(`${field}.httpGet.httpHeaders are not supported by ECI probes and are dropped`);
    const scheme = p.httpGet.scheme ?? 'HTTP';
    out.httpGet = { path: p.httpGet.path ?? '/', port: resolvePort(p.httpGet.port, c, `${field}.httpGet.port`, issues), scheme };
  } else if (p.tcpSocket) {
    if (p.tcpSocket.host) issues.warn(`${field}.tcpSocket.host is not supported by ECI; the probe targets the instance IP`);
    out.tcpSocket = { port: resolvePort(p.tcpSocket.port, c, `${field}.tcpSocket.port`, issues) };
  } else if (p.grpc) {
    issues.error(`${field}.grpc`, 'gRPC probes are not supported by ECI; use an exec probe (e.g. grpc_health_probe) or a tcpSocket probe');
    return undefined;
  } else {
    issues.error(field, 'probe has no handler; set exec, httpGet or tcpSocket');
    return undefined;
  }
  return out;
}

/**
 * startupProbe has no ECI field. Degraded: it is dropped with a warning, and the liveness probe's initial delay is
 * raised by the startup budget (initialDelay + period x failureThreshold) so a slow start is not killed.
 */
function startupBudgetSeconds(p: V1Probe): number {
  return (p.initialDelaySeconds ?? 0) + (p.periodSeconds ?? 10) * (p.failureThreshold ?? 3);
}

interface HandlerShape {
  exec?: string[]; httpGetHost?: string; httpGetPath?: string; httpGetPort?: number; httpGetScheme?: string;
  httpGetHttpHeader?: Array<{ name: string; value: string }>; tcpSocketHost?: string; tcpSocketPort?: number;
}

function mapHandler(h: V1LifecycleHandler, c: V1Container, field: string, issues: Issues): HandlerShape | undefined {
  if (h.exec) return { exec: h.exec.command ?? [] };
  if (h.httpGet) {
    return {
      httpGetHost: h.httpGet.host, httpGetPath: h.httpGet.path, httpGetScheme: h.httpGet.scheme,
      httpGetPort: resolvePort(h.httpGet.port, c, `${field}.httpGet.port`, issues),
      httpGetHttpHeader: h.httpGet.httpHeaders?.map((x) => ({ name: x.name, value: x.value })),
    };
  }
  if (h.tcpSocket) return { tcpSocketHost: h.tcpSocket.host, tcpSocketPort: resolvePort(h.tcpSocket.port, c, `${field}.tcpSocket.port`, issues) };
  if (h.sleep) {
    issues.warn(`${field}.sleep is not supported by ECI; it runs as exec ["sleep", "${h.sleep.seconds}"], which needs a sleep binary in the image`);
    return { exec: ['sleep', String(h.sleep.seconds)] };
  }
  issues.error(field, 'lifecycle handler has no action; set exec, httpGet or tcpSocket');
  return undefined;
}

interface SecurityShape { runAsUser?: number; runAsGroup?: number; runAsNonRoot?: boolean; readOnlyRootFilesystem?: boolean; add: string[] }

function mapSecurity(c: V1Container, podSc: V1PodSecurityContext | undefined, path: string, issues: Issues): SecurityShape {
  const sc = c.securityContext ?? {};
  const f = `${path}.securityContext`;
  if (sc.privileged) issues.error(`${f}.privileged`, 'privileged containers cannot run on ECI (no host access on a serverless instance); remove privileged and add only the capabilities you need (NET_ADMIN, NET_RAW)');
  if (sc.procMount && sc.procMount !== 'Default') issues.error(`${f}.procMount`, `procMount ${sc.procMount} is not supported by ECI; remove it`);
  if (sc.windowsOptions || podSc?.windowsOptions) issues.error(sc.windowsOptions ? `${f}.windowsOptions` : 'spec.securityContext.windowsOptions', 'Windows containers are not supported by ECI through this gateway; schedule the pod on a Windows node');
  if ((sc.capabilities?.drop ?? []).length > 0) issues.warn(`${f}.capabilities.drop is not supported by ECI and is ignored (the container keeps the default capability set)`);
  if (sc.seLinuxOptions) issues.warn(`${f}.seLinuxOptions are not supported by ECI and are ignored`);
  if (sc.seccompProfile && sc.seccompProfile.type !== 'RuntimeDefault') issues.warn(`${f}.seccompProfile ${sc.seccompProfile.type} is not supported by ECI; the runtime default applies`);
  if (sc.appArmorProfile) issues.warn(`${f}.appArmorProfile is not supported by ECI and is ignored`);
  if (sc.allowPrivilegeEscalation === false) issues.warn(`${f}.allowPrivilegeEscalation=false cannot be enforced by ECI and is ignored`);
  const add: string[] = [];
  (sc.capabilities?.add ?? []).forEach((cap, k) => {
    const name = cap.toUpperCase().replace(/^CAP_/, '');
    if (ECI_ADDABLE_CAPABILITIES.has(name)) add.push(name);
    else if (!DEFAULT_CAPABILITIES.has(name)) issues.error(`${f}.capabilities.add[${k}]`, `capability ${cap} cannot be added on ECI (only ${[...ECI_ADDABLE_CAPABILITIES].join(', ')}); remove it`);
  });
  return {
    runAsUser: sc.runAsUser ?? podSc?.runAsUser,
    runAsGroup: sc.runAsGroup ?? podSc?.runAsGroup,
    runAsNonRoot: sc.runAsNonRoot ?? podSc?.runAsNonRoot,
    readOnlyRootFilesystem: sc.readOnlyRootFilesystem,
    add,
  };
}

function mapMounts(c: V1Container, path: string, ctx: ContainerContext): Array<{ name: string; mountPath: string; readOnly?: boolean; subPath?: string; mountPropagation?: string }> {
  return (c.volumeMounts ?? []).flatMap((m, k) => {
    const f = `${path}.volumeMounts[${k}]`;
    if (!ctx.volumeNames.has(m.name)) { ctx.issues.error(`${f}.name`, `volume mount refers to volume "${m.name}", which is not in spec.volumes; add the volume or fix the name`); return []; }
    if (m.subPathExpr) { ctx.issues.error(`${f}.subPathExpr`, 'subPathExpr is not supported by ECI; use a fixed subPath'); return []; }
    if (m.mountPropagation && !PROPAGATIONS.includes(m.mountPropagation)) { ctx.issues.error(`${f}.mountPropagation`, `mountPropagation must be one of ${PROPAGATIONS.join(', ')}`); return []; }
    if (m.recursiveReadOnly && m.recursiveReadOnly !== 'Disabled') ctx.issues.warn(`${f}.recursiveReadOnly is not supported by ECI; the mount is read-only at its top level only`);
    return [{ name: m.name, mountPath: m.mountPath, readOnly: m.readOnly, subPath: m.subPath || undefined, mountPropagation: m.mountPropagation }];
  });
}

function checkCommon(c: V1Container, path: string, kind: ContainerKind, issues: Issues): void {
  if (!c.image) issues.error(`${path}.image`, `container ${c.name} has no image; set spec.${kind}[].image`);
  if (c.imagePullPolicy && !PULL_POLICIES.includes(c.imagePullPolicy)) issues.error(`${path}.imagePullPolicy`, `imagePullPolicy must be one of ${PULL_POLICIES.join(', ')}`);
  if ((c.volumeDevices ?? []).length > 0) issues.error(`${path}.volumeDevices`, 'raw block devices are not supported by ECI; use a filesystem volume mount');
  if ((c.resources?.claims ?? []).length > 0) issues.error(`${path}.resources.claims`, 'dynamic resource claims are not supported by ECI; request nvidia.com/gpu instead');
  if (c.restartPolicy !== undefined) {
    issues.error(`${path}.restartPolicy`, kind === 'initContainers'
      ? 'sidecar init containers (restartPolicy: Always) are not supported by ECI; move the sidecar to spec.containers'
      : 'per-container restartPolicy is not supported by ECI; use spec.restartPolicy');
  }
  (c.ports ?? []).forEach((p, k) => {
    if (p.hostPort !== undefined && p.hostPort !== 0) issues.error(`${path}.ports[${k}].hostPort`, 'hostPort is not supported on a virtual node: each ECI pod has its own IP, so remove hostPort and reach the pod IP directly');
    if (p.protocol && p.protocol !== 'TCP' && p.protocol !== 'UDP') issues.error(`${path}.ports[${k}].protocol`, `protocol ${p.protocol} is not supported by ECI; use TCP or UDP`);
  });
}

/** What app and init containers map alike: name, image, command line (variables expanded), resources. */
function processFields(c: V1Container, env: MappedEnv, res: ContainerResources, path: string, issues: Issues) {
  return {
    name: c.name,
    image: c.image,
    imagePullPolicy: c.imagePullPolicy,
    command: expandArgv(c.command, env, `${path}.command`, issues),
    arg: expandArgv(c.args, env, `${path}.args`, issues),
    workingDir: c.workingDir,
    cpu: res.cpu,
    memory: res.memory,
    gpu: res.gpu,
  };
}

function resourcesOf(c: V1Container, path: string, issues: Issues): ContainerResources {
  return containerResources(c, (p) => issues.error(`${path}.resources[${p.resource}]`, `resource ${p.resource}="${p.value}" is not a valid quantity`));
}

export function mapAppContainer(c: V1Container, index: number, ctx: ContainerContext): $Eci.CreateContainerGroupRequestContainer {
  const path = `spec.containers[${index}]`;
  const { issues } = ctx;
  checkCommon(c, path, 'containers', issues);
  const env = mapEnv(c, path, ctx);
  const res = resourcesOf(c, path, issues);
  const sec = mapSecurity(c, ctx.pod.spec?.securityContext, path, issues);
  const liveness = c.livenessProbe ? mapProbe(c.livenessProbe, c, `${path}.livenessProbe`, issues) : undefined;
  const readiness = c.readinessProbe ? mapProbe(c.readinessProbe, c, `${path}.readinessProbe`, issues) : undefined;
  if (c.startupProbe) {
    const budget = startupBudgetSeconds(c.startupProbe);
    if (liveness) {
      liveness.initialDelaySeconds = Math.max(liveness.initialDelaySeconds ?? 0, budget);
      issues.warn(`${path}.startupProbe is not supported by ECI; dropped, and the liveness probe's initialDelaySeconds raised to ${liveness.initialDelaySeconds}s to cover the startup budget`);
    } else {
      issues.warn(`${path}.startupProbe is not supported by ECI and is dropped (the container has no liveness probe, so nothing else changes)`);
    }
  }
  const post = c.lifecycle?.postStart ? mapHandler(c.lifecycle.postStart, c, `${path}.lifecycle.postStart`, issues) : undefined;
  const pre = c.lifecycle?.preStop ? mapHandler(c.lifecycle.preStop, c, `${path}.lifecycle.preStop`, issues) : undefined;
  if (c.lifecycle?.stopSignal) issues.warn(`${path}.lifecycle.stopSignal is not supported by ECI; the image's stop signal applies`);
  return new $Eci.CreateContainerGroupRequestContainer({
    ...processFields(c, env, res, path, issues),
    environmentVar: env.vars.map((v) => new $Eci.CreateContainerGroupRequestContainerEnvironmentVar({
      key: v.key, value: v.value,
      fieldRef: v.fieldPath ? new $Eci.CreateContainerGroupRequestContainerEnvironmentVarFieldRef({ fieldPath: v.fieldPath }) : undefined,
    })),
    environmentVarHide: env.hide || undefined,
    port: (c.ports ?? []).map((p) => new $Eci.CreateContainerGroupRequestContainerPort({ port: p.containerPort, protocol: p.protocol ?? 'TCP' })),
    volumeMount: mapMounts(c, path, ctx).map((m) => new $Eci.CreateContainerGroupRequestContainerVolumeMount(m)),
    livenessProbe: liveness ? new $Eci.CreateContainerGroupRequestContainerLivenessProbe({
      ...timings(liveness),
      exec: liveness.exec ? new $Eci.CreateContainerGroupRequestContainerLivenessProbeExec(liveness.exec) : undefined,
      httpGet: liveness.httpGet ? new $Eci.CreateContainerGroupRequestContainerLivenessProbeHttpGet(liveness.httpGet) : undefined,
      tcpSocket: liveness.tcpSocket ? new $Eci.CreateContainerGroupRequestContainerLivenessProbeTcpSocket(liveness.tcpSocket) : undefined,
    }) : undefined,
    readinessProbe: readiness ? new $Eci.CreateContainerGroupRequestContainerReadinessProbe({
      ...timings(readiness),
      exec: readiness.exec ? new $Eci.CreateContainerGroupRequestContainerReadinessProbeExec(readiness.exec) : undefined,
      httpGet: readiness.httpGet ? new $Eci.CreateContainerGroupRequestContainerReadinessProbeHttpGet(readiness.httpGet) : undefined,
      tcpSocket: readiness.tcpSocket ? new $Eci.CreateContainerGroupRequestContainerReadinessProbeTcpSocket(readiness.tcpSocket) : undefined,
    }) : undefined,
    securityContext: securityModel(sec, $Eci.CreateContainerGroupRequestContainerSecurityContext, $Eci.CreateContainerGroupRequestContainerSecurityContextCapability),
    securityContextRunAsGroup: sec.runAsGroup,
    securityContextRunAsNonRoot: sec.runAsNonRoot,
    stdin: c.stdin,
    stdinOnce: c.stdinOnce,
    tty: c.tty,
    terminationMessagePath: c.terminationMessagePath,
    terminationMessagePolicy: c.terminationMessagePolicy,
    ...handlerFields('lifecyclePostStartHandler', post, $Eci.CreateContainerGroupRequestContainerLifecyclePostStartHandlerHttpGetHttpHeader),
    ...handlerFields('lifecyclePreStopHandler', pre, $Eci.CreateContainerGroupRequestContainerLifecyclePreStopHandlerHttpGetHttpHeader),
  });
}

export function mapInitContainer(c: V1Container, index: number, ctx: ContainerContext): $Eci.CreateContainerGroupRequestInitContainer {
  const path = `spec.initContainers[${index}]`;
  const { issues } = ctx;
  checkCommon(c, path, 'initContainers', issues);
  for (const probe of ['livenessProbe', 'readinessProbe', 'startupProbe', 'lifecycle'] as const) {
    if (c[probe]) issues.error(`${path}.${probe}`, `${probe} is not allowed on init containers; remove it`);
  }
  if (c.stdin || c.tty || c.stdinOnce) issues.warn(`${path}: stdin/stdinOnce/tty are not supported on ECI init containers and are ignored`);
  const env = mapEnv(c, path, ctx);
  if (env.hide) issues.warn(`${path}: ECI cannot hide init-container environment variables; secret-derived values are visible in the ECI console`);
  const res = resourcesOf(c, path, issues);
  const sec = mapSecurity(c, ctx.pod.spec?.securityContext, path, issues);
  if (sec.runAsGroup !== undefined || sec.runAsNonRoot !== undefined) issues.warn(`${path}: runAsGroup/runAsNonRoot are not supported on ECI init containers and are ignored`);
  return new $Eci.CreateContainerGroupRequestInitContainer({
    ...processFields(c, env, res, path, issues),
    environmentVar: env.vars.map((v) => new $Eci.CreateContainerGroupRequestInitContainerEnvironmentVar({
      key: v.key, value: v.value,
      fieldRef: v.fieldPath ? new $Eci.CreateContainerGroupRequestInitContainerEnvironmentVarFieldRef({ fieldPath: v.fieldPath }) : undefined,
    })),
    port: (c.ports ?? []).map((p) => new $Eci.CreateContainerGroupRequestInitContainerPort({ port: p.containerPort, protocol: p.protocol ?? 'TCP' })),
    volumeMount: mapMounts(c, path, ctx).map((m) => new $Eci.CreateContainerGroupRequestInitContainerVolumeMount(m)),
    securityContext: securityModel(sec, $Eci.CreateContainerGroupRequestInitContainerSecurityContext, $Eci.CreateContainerGroupRequestInitContainerSecurityContextCapability),
    terminationMessagePath: c.terminationMessagePath,
    terminationMessagePolicy: c.terminationMessagePolicy,
  });
}

/** Resources read the same way as for mapping, for the pod total (errors were already reported per container). */
export function resourcesForTotal(c: V1Container): ContainerResources {
  return containerResources(c, () => undefined);
}

function timings(p: ProbeShape) {
  return {
    initialDelaySeconds: p.initialDelaySeconds, periodSeconds: p.periodSeconds, timeoutSeconds: p.timeoutSeconds,
    successThreshold: p.successThreshold, failureThreshold: p.failureThreshold,
  };
}

type Ctor<T> = new (map: Record<string, unknown>) => T;

function securityModel<S, C>(sec: SecurityShape, SecCtor: Ctor<S>, CapCtor: Ctor<C>): S | undefined {
  if (sec.runAsUser === undefined && sec.readOnlyRootFilesystem === undefined && sec.add.length === 0) return undefined;
  return new SecCtor({
    runAsUser: sec.runAsUser,
    readOnlyRootFilesystem: sec.readOnlyRootFilesystem,
    capability: sec.add.length > 0 ? new CapCtor({ add: sec.add }) : undefined,
  });
}

function handlerFields<H>(prefix: 'lifecyclePostStartHandler' | 'lifecyclePreStopHandler', h: HandlerShape | undefined, HeaderCtor: Ctor<H>): Record<string, unknown> {
  if (!h) return {};
  return {
    [`${prefix}Exec`]: h.exec,
    [`${prefix}HttpGetHost`]: h.httpGetHost,
    [`${prefix}HttpGetPath`]: h.httpGetPath,
    [`${prefix}HttpGetPort`]: h.httpGetPort,
    [`${prefix}HttpGetScheme`]: h.httpGetScheme,
    [`${prefix}HttpGetHttpHeader`]: h.httpGetHttpHeader?.map((x) => new HeaderCtor(x)),
    [`${prefix}TcpSocketHost`]: h.tcpSocketHost,
    [`${prefix}TcpSocketPort`]: h.tcpSocketPort,
  };
}
