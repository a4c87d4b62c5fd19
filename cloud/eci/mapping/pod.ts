// Pod-level mapping: Kubernetes Pod (+ agent-resolved inputs + tenant placement) -> CreateContainerGroupRequest,
// the incremental UpdateContainerGroupRequest for the in-place updates Kubernetes allows, and the diff that says
// when such an update is needed. Pod-level features ECI cannot honour are rejected here with field + reason.
import * as $Eci from '@alicloud/eci20180808';
import type { V1Pod, V1PodSpec, V1PodDNSConfig } from '@kubernetes/client-node';
import { parseAnnotations, A, type AnnotationSettings } from './annotations.js';
import { mapAppContainer, mapInitContainer, resourcesForTotal } from './containers.js';
import { buildTags, groupNameFor, shortHash } from './names.js';
import { podTotal, roundUpToSpec, GIB, ECI_SPECS } from './resources.js';
import { parseQuantity } from '../../../common/quantity.js';
import { mapVolumes } from './volumes.js';
import { Issues, type MappingResult, type PodSpecInput, type TenantPlacement } from './types.js';
import { EGRESS_CONTAINER, EGRESS_RESOURCES, EGRESS_SYSCTL, egressContainer, egressDns } from './egress.js';
import type { EgressSidecar } from '../../pod-provider/provider.js';

const MAX_CONTAINERS = 20;
const RESTART_POLICIES = ['Always', 'OnFailure', 'Never'];
/** Sysctl names/prefixes ECI accepts in SecurityContext.Sysctl (namespaced kernel parameters only). */
const SYSCTL_ALLOWED = [/^kernel\.shm/, /^kernel\.msg/, /^kernel\.sem$/, /^fs\.mqueue\./, /^net\./];

function checkPodLevel(spec: V1PodSpec, issues: Issues): void {
  if (spec.hostNetwork) issues.error('spec.hostNetwork', 'hostNetwork is not supported on a virtual node: an ECI instance has its own network namespace and IP; remove hostNetwork (and hostPort)');
  if (spec.hostPID) issues.error('spec.hostPID', 'hostPID is not supported on ECI: there is no shared host process namespace; remove it (use shareProcessNamespace to share between containers)');
  if (spec.hostIPC) issues.error('spec.hostIPC', 'hostIPC is not supported on ECI: there is no shared host IPC namespace; remove it');
  if ((spec.ephemeralContainers ?? []).length > 0) issues.error('spec.ephemeralContainers', 'ephemeral (debug) containers cannot be added to an ECI instance; use kubectl exec into an existing container');
  if (spec.os?.name && spec.os.name !== 'linux') issues.error('spec.os.name', `os ${spec.os.name} is not supported by the ECI virtual node; only linux pods can burst to ECI`);
  if ((spec.resourceClaims ?? []).length > 0) issues.error('spec.resourceClaims', 'dynamic resource allocation is not supported by ECI; request nvidia.com/gpu in container resources instead');
  if (spec.hostUsers === false) issues.warn('spec.hostUsers=false is ignored: every ECI instance is its own VM, which isolates it more strongly than a user namespace');
  if (spec.runtimeClassName) issues.warn(`spec.runtimeClassName ${spec.runtimeClassName} is ignored: ECI chooses its own sandbox runtime`);
  if ((spec.readinessGates ?? []).length > 0) issues.warn('spec.readinessGates are not evaluated by the virtual node; the Ready condition reflects container readiness only');
  if (spec.subdomain) issues.warn('spec.subdomain is ignored: ECI sets only the hostname, not a FQDN');
  if (spec.setHostnameAsFQDN) issues.warn('spec.setHostnameAsFQDN is ignored: ECI sets only the short hostname');
  if (spec.restartPolicy && !RESTART_POLICIES.includes(spec.restartPolicy)) issues.error('spec.restartPolicy', `restartPolicy must be one of ${RESTART_POLICIES.join(', ')}`);
  if ((spec.containers ?? []).length === 0) issues.error('spec.containers', 'a pod needs at least one container');
  if ((spec.containers ?? []).length > MAX_CONTAINERS) issues.error('spec.containers', `ECI runs at most ${MAX_CONTAINERS} containers per instance; this pod has ${spec.containers.length}. Split it into several pods`);
  const sc = spec.securityContext;
  if (sc?.fsGroup !== undefined) issues.warn('spec.securityContext.fsGroup is not supported by ECI; volume ownership is not changed (set runAsUser/runAsGroup matching the files instead)');
  if ((sc?.supplementalGroups ?? []).length > 0) issues.warn('spec.securityContext.supplementalGroups are not supported by ECI and are ignored');
  if (sc?.seLinuxOptions) issues.warn('spec.securityContext.seLinuxOptions are not supported by ECI and are ignored');
  if (sc?.seccompProfile && sc.seccompProfile.type !== 'RuntimeDefault') issues.warn(`spec.securityContext.seccompProfile ${sc.seccompProfile.type} is not supported by ECI; the runtime default applies`);
  if (sc?.appArmorProfile) issues.warn('spec.securityContext.appArmorProfile is not supported by ECI and is ignored');
}

function mapSysctls(spec: V1PodSpec, issues: Issues, egress?: EgressSidecar): $Eci.CreateContainerGroupRequestSecurityContext | undefined {
  const list = [...(spec.securityContext?.sysctls ?? [])];
  if (egress) {
    // The sidecar runs as a non-root user and serves DNS on port 53 of the group's loopback.
    const own = list.find((s) => s.name === EGRESS_SYSCTL.name);
    if (!own) list.push(EGRESS_SYSCTL);
    else if (Number(own.value) > 53) issues.warn(`sysctl ${own.name}=${own.value} keeps the egress sidecar from serving DNS on port 53: exported on-prem Services will not resolve`);
  }
  if (list.length === 0) return undefined;
  const ok = list.filter((s, k) => {
    if (SYSCTL_ALLOWED.some((re) => re.test(s.name))) return true;
    issues.error(`spec.securityContext.sysctls[${k}]`, `sysctl ${s.name} is not namespaced and cannot be set on ECI; only kernel.shm*, kernel.msg*, kernel.sem, fs.mqueue.* and net.* are allowed`);
    return false;
  });
  return new $Eci.CreateContainerGroupRequestSecurityContext({
    sysctl: ok.map((s) => new $Eci.CreateContainerGroupRequestSecurityContextSysctl({ name: s.name, value: s.value })),
  });
}

/**
 * DNS: ECI knows `Default` (the VPC resolver, plus DnsConfig) and `None` (DnsConfig only).
 * ClusterFirst becomes None + the tenant's cluster DNS servers and Kubernetes search path when the tenant configured
 * `defaults.clusterDns`; otherwise Default, with a warning that cluster Service names will not resolve.
 */
function mapDns(pod: V1Pod, tenant: TenantPlacement, issues: Issues, egress?: EgressSidecar): { dnsPolicy?: string; dnsConfig?: $Eci.CreateContainerGroupRequestDnsConfig } {
  const spec = pod.spec!;
  const policy = spec.dnsPolicy ?? 'ClusterFirst';
  const cfg = spec.dnsConfig;
  const toModel = (c: V1PodDNSConfig | undefined) => c && (c.nameservers?.length || c.searches?.length || c.options?.length)
    ? new $Eci.CreateContainerGroupRequestDnsConfig({
      nameServer: c.nameservers,
      search: c.searches,
      option: c.options?.map((o) => new $Eci.CreateContainerGroupRequestDnsConfigOption({ name: o.name, value: o.value })),
    })
    : undefined;
  switch (policy) {
    case 'ClusterFirst':
    case 'ClusterFirstWithHostNet': {
      if (egress) return { dnsPolicy: 'None', dnsConfig: egressDns(egress, pod.metadata?.namespace ?? 'default', { searches: cfg?.searches, options: cfg?.options }) };
      const cluster = tenant.defaults?.clusterDns;
      if (!cluster || cluster.nameservers.length === 0) {
        issues.warn(`dnsPolicy ${policy} maps to ECI "Default" (VPC DNS): the tenant has no cluster DNS reachable from ECI configured, so cluster Service names will not resolve`);
        return { dnsPolicy: 'Default', dnsConfig: toModel(cfg) };
      }
      const domain = cluster.clusterDomain ?? 'cluster.local';
      const ns = pod.metadata?.namespace ?? 'default';
      const options = new Map<string, string | undefined>([['ndots', '5']]);
      for (const o of cfg?.options ?? []) options.set(o.name ?? '', o.value);
      return {
        dnsPolicy: 'None',
        dnsConfig: toModel({
          nameservers: [...cluster.nameservers, ...(cfg?.nameservers ?? [])].slice(0, 3),
          searches: [`${ns}.svc.${domain}`, `svc.${domain}`, domain, ...(cfg?.searches ?? [])],
          options: [...options].filter(([n]) => n).map(([name, value]) => ({ name, value })),
        }),
      };
    }
    case 'Default':
      return { dnsPolicy: 'Default', dnsConfig: toModel(cfg) };
    case 'None':
      if (!cfg?.nameservers?.length) {
        issues.error('spec.dnsConfig.nameservers', 'dnsPolicy None needs at least one nameserver in spec.dnsConfig.nameservers');
        return {};
      }
      return { dnsPolicy: 'None', dnsConfig: toModel(cfg) };
    default:
      issues.error('spec.dnsPolicy', `dnsPolicy ${policy} is unknown; use ClusterFirst, Default or None`);
      return {};
  }
}

/**
 * The egress sidecar of a pod whose tenant runs networking mode `tunnel`: only with ClusterFirst DNS (a pod
 * that chose its own DNS would not resolve exported names through it), and never over a container of its name.
 */
function egressFor(input: PodSpecInput, issues: Issues): EgressSidecar | undefined {
  const e = input.egress;
  if (!e) return undefined;
  const spec: V1PodSpec = input.pod.spec ?? { containers: [] };
  const policy = spec.dnsPolicy ?? 'ClusterFirst';
  if (policy !== 'ClusterFirst' && policy !== 'ClusterFirstWithHostNet') {
    issues.warn(`dnsPolicy ${policy}: on-prem Services exported to burst pods are reached by their names through the egress sidecar, which only ClusterFirst uses; this pod gets no sidecar`);
    return undefined;
  }
  if ([...(spec.containers ?? []), ...(spec.initContainers ?? [])].some((c) => c.name === EGRESS_CONTAINER)) {
    issues.error('spec.containers[].name', `${EGRESS_CONTAINER} is the name of the gateway's egress sidecar; rename the container`);
    return undefined;
  }
  return e;
}

/** Group cpu/memory or instance type, from annotations or the containers' resources rounded up to an ECI spec. */
function mapGroupResources(pod: V1Pod, ann: AnnotationSettings, tenant: TenantPlacement, issues: Issues, sidecar?: { cpu: number; memoryGiB: number }): { cpu?: number; memory?: number; instanceType?: string } {
  const spec = pod.spec!;
  const total = podTotal((spec.containers ?? []).map(resourcesForTotal), (spec.initContainers ?? []).map(resourcesForTotal));
  // The egress sidecar runs beside the containers; it counts only where they declare what they need (without
  // declarations the group gets the defaults, which have room for it).
  if (sidecar && total.declared.cpu) total.cpu += sidecar.cpu;
  if (sidecar && total.declared.memory) total.memory += sidecar.memoryGiB;
  const podLevel = spec.resources;
  if (podLevel?.limits || podLevel?.requests) {
    const cpu = parseQuantity(podLevel.limits?.cpu ?? podLevel.requests?.cpu);
    const mem = parseQuantity(podLevel.limits?.memory ?? podLevel.requests?.memory);
    if (cpu !== undefined) { total.cpu = Math.max(total.cpu, cpu); total.declared.cpu = true; }
    if (mem !== undefined) { total.memory = Math.max(total.memory, mem / GIB); total.declared.memory = true; }
  }
  if (ann.instanceType) {
    if (total.gpu > 0 && !ann.gpuInstanceType) {
      issues.error(`metadata.annotations[${A.useSpecs}]`, `the pod requests nvidia.com/gpu but ${A.useSpecs} lists no GPU instance type; add one such as ecs.gn6i-c4g1.xlarge`);
    }
    return { instanceType: ann.instanceType };
  }
  if (total.gpu > 0) {
    issues.error(`metadata.annotations[${A.useSpecs}]`, `the pod requests nvidia.com/gpu, which needs a GPU instance type: add annotation ${A.useSpecs} with e.g. "ecs.gn6i-c4g1.xlarge"`);
    return {};
  }
  const defaults = tenant.defaults ?? {};
  if (!total.declared.cpu && !total.declared.memory) {
    if (defaults.cpu === undefined && defaults.memory === undefined) return {};
    const d = roundUpToSpec(defaults.cpu ?? 2, defaults.memory ?? 4);
    return d ? { cpu: d.cpu, memory: d.memory } : {};
  }
  const rounded = roundUpToSpec(total.cpu, total.memory);
  if (!rounded) {
    const largest = ECI_SPECS[ECI_SPECS.length - 1];
    issues.error('spec.containers[].resources', `the pod needs ${total.cpu} vCPU and ${total.memory} GiB, more than the largest ECI spec (${largest.cpu} vCPU / ${largest.memory[largest.memory.length - 1]} GiB); lower the requests/limits or name a larger ECS instance type in ${A.useSpecs}`);
    return {};
  }
  if (rounded.cpu !== total.cpu || rounded.memory !== total.memory) {
    issues.warn(`pod resources ${total.cpu} vCPU / ${total.memory} GiB rounded up to the ECI spec ${rounded.cpu} vCPU / ${rounded.memory} GiB (billed as such)`);
  }
  return rounded;
}

export function podToCreateRequest(input: PodSpecInput): MappingResult<$Eci.CreateContainerGroupRequest> {
  const issues = new Issues();
  const { pod, tenant, resolved } = input;
  const spec = pod.spec;
  const md = pod.metadata ?? {};
  if (!spec) { issues.error('spec', 'pod has no spec; map the pod object as stored by the API server'); return issues.result(undefined as never); }
  if (!md.name) issues.error('metadata.name', 'pod has no name; map the pod object as stored by the API server');
  if (!md.uid) issues.error('metadata.uid', 'pod has no uid; map the pod as stored by the API server');
  if (!tenant.regionId) issues.error('tenant.regionId', 'tenant has no regionId; fix the tenant configuration');
  if (!tenant.clusterId) issues.error('tenant.clusterId', 'tenant has no clusterId; fix the tenant configuration');
  const namespace = md.namespace ?? 'default';

  checkPodLevel(spec, issues);
  const ann = parseAnnotations(md.annotations, issues);
  const volumes = mapVolumes(spec.volumes, resolved, issues);
  const volumeNames = new Set((spec.volumes ?? []).map((v) => v.name));
  const ctx = { pod, resolved, issues, volumeNames };
  const containers = (spec.containers ?? []).map((c, i) => mapAppContainer(c, i, ctx));
  const initContainers = (spec.initContainers ?? []).map((c, i) => mapInitContainer(c, i, ctx));
  const egress = egressFor(input, issues);
  const resources = mapGroupResources(pod, ann, tenant, issues, egress ? EGRESS_RESOURCES : undefined);
  const dns = mapDns(pod, tenant, issues, egress);
  if (egress) containers.push(egressContainer(egress, namespace));
  const tags = buildTags({ clusterId: tenant.clusterId, namespace, podName: md.name ?? '', podUid: md.uid ?? '', tenantTags: tenant.tags, labels: md.labels }, issues);

  if ((spec.imagePullSecrets ?? []).length > 0 && resolved.imagePullCredentials.length === 0) {
    issues.warn('spec.imagePullSecrets are set but the agent resolved no registry credentials; private images will fail to pull (check the secrets exist and are of type kubernetes.io/dockerconfigjson)');
  }
  const vSwitchId = ann.vSwitchId ?? (tenant.vSwitchIds?.length ? tenant.vSwitchIds.join(',') : undefined);
  const uid = md.uid ?? '';
  const request = new $Eci.CreateContainerGroupRequest({
    regionId: tenant.regionId,
    zoneId: ann.vSwitchId ? undefined : tenant.zoneId,
    vSwitchId,
    securityGroupId: ann.securityGroupId ?? tenant.securityGroupId,
    resourceGroupId: ann.resourceGroupId ?? tenant.resourceGroupId,
    containerGroupName: groupNameFor(namespace, md.name ?? ''),
    clientToken: input.attempt ? `${uid}-${input.attempt}` : uid,
    restartPolicy: spec.restartPolicy ?? 'Always',
    cpu: resources.cpu,
    memory: resources.memory,
    instanceType: resources.instanceType,
    container: containers,
    initContainer: initContainers.length > 0 ? initContainers : undefined,
    volume: volumes.length > 0 ? volumes : undefined,
    tag: tags.map((t) => new $Eci.CreateContainerGroupRequestTag(t)),
    imageRegistryCredential: resolved.imagePullCredentials.length > 0
      ? resolved.imagePullCredentials.map((c) => new $Eci.CreateContainerGroupRequestImageRegistryCredential({ server: c.server, userName: c.username, password: c.password }))
      : undefined,
    hostAliase: (spec.hostAliases ?? []).length > 0
      ? spec.hostAliases!.map((h) => new $Eci.CreateContainerGroupRequestHostAliase({ ip: h.ip, hostname: h.hostnames }))
      : undefined,
    hostName: spec.hostname,
    dnsPolicy: dns.dnsPolicy,
    dnsConfig: dns.dnsConfig,
    securityContext: mapSysctls(spec, issues, egress),
    terminationGracePeriodSeconds: spec.terminationGracePeriodSeconds,
    activeDeadlineSeconds: spec.activeDeadlineSeconds,
    shareProcessNamespace: spec.shareProcessNamespace,
    autoMatchImageCache: ann.autoMatchImageCache ?? (ann.imageSnapshotId ? undefined : tenant.defaults?.autoMatchImageCache),
    imageSnapshotId: ann.imageSnapshotId,
    spotStrategy: ann.spotStrategy,
    spotPriceLimit: ann.spotPriceLimit,
    spotDuration: ann.spotDuration,
    strictSpot: ann.strictSpot,
    scheduleStrategy: ann.scheduleStrategy,
    autoCreateEip: ann.autoCreateEip,
    eipInstanceId: ann.eipInstanceId,
    eipBandwidth: ann.eipBandwidth,
    eipISP: ann.eipISP,
    eipCommonBandwidthPackage: ann.eipCommonBandwidthPackage,
    ramRoleName: ann.ramRoleName,
    ephemeralStorage: ann.ephemeralStorage,
    corePattern: ann.corePattern,
    ntpServer: ann.ntpServer,
    containerResourceView: ann.containerResourceView,
    ingressBandwidth: ann.ingressBandwidth,
    egressBandwidth: ann.egressBandwidth,
    plainHttpRegistry: ann.plainHttpRegistry,
    insecureRegistry: ann.insecureRegistry,
    dataCacheBucket: ann.dataCacheBucket,
    acrRegistryInfo: ann.acrInstanceIds?.map((id) => new $Eci.CreateContainerGroupRequestAcrRegistryInfo({ instanceId: id, regionId: tenant.regionId })),
  });
  return issues.result(request);
}

interface UpdatableDiff {
  /** True when an UpdateContainerGroup call is needed (container images changed). */
  updateNeeded: boolean;
  imageChanges: Array<{ kind: 'containers' | 'initContainers'; name: string; from?: string; to?: string }>;
  /** ECI cannot change ActiveDeadlineSeconds in place; the caller must enforce the new deadline itself. */
  activeDeadlineChanged: boolean;
}

/** What changed between two versions of a pod among the fields Kubernetes lets a running pod change. */
export function diffUpdatable(oldPod: V1Pod, newPod: V1Pod): UpdatableDiff {
  const imageChanges: UpdatableDiff['imageChanges'] = [];
  for (const kind of ['containers', 'initContainers'] as const) {
    const before = new Map((oldPod.spec?.[kind] ?? []).map((c) => [c.name, c.image]));
    for (const c of newPod.spec?.[kind] ?? []) {
      if (before.has(c.name) && before.get(c.name) !== c.image) imageChanges.push({ kind, name: c.name, from: before.get(c.name), to: c.image });
    }
  }
  const activeDeadlineChanged = oldPod.spec?.activeDeadlineSeconds !== newPod.spec?.activeDeadlineSeconds;
  return { updateNeeded: imageChanges.length > 0, imageChanges, activeDeadlineChanged };
}

/**
 * IncrementalUpdate carrying the full, freshly mapped container and init-container lists of the new pod (so it is
 * correct whether ECI merges containers by name or replaces the list). ActiveDeadlineSeconds has no Update field:
 * a warning tells the caller to enforce it. ClientToken is derived from uid + images so retries are idempotent.
 */
export function podToUpdateRequest(input: PodSpecInput, groupId: string): MappingResult<$Eci.UpdateContainerGroupRequest> {
  const created = podToCreateRequest(input);
  if (!created.ok) return created;
  const c = created.value;
  const warnings = [...created.warnings];
  if (input.pod.spec?.activeDeadlineSeconds !== undefined) {
    warnings.push('ECI cannot change ActiveDeadlineSeconds of a running instance; the new spec.activeDeadlineSeconds must be enforced by the virtual node (delete the group when it passes)');
  }
  const images = [...(c.container ?? []), ...(c.initContainer ?? [])].map((x) => `${x.name}=${x.image}`).join(',');
  const request = new $Eci.UpdateContainerGroupRequest({
    regionId: c.regionId,
    containerGroupId: groupId,
    updateType: 'IncrementalUpdate',
    clientToken: `${(input.pod.metadata?.uid ?? '').slice(0, 36)}-u${shortHash(images, 12)}`,
    container: (c.container ?? []).map(toUpdateContainer),
    initContainer: c.initContainer?.map(toUpdateInitContainer),
  });
  return { ok: true, value: request, warnings };
}

function toUpdateContainer(x: $Eci.CreateContainerGroupRequestContainer): $Eci.UpdateContainerGroupRequestContainer {
  return new $Eci.UpdateContainerGroupRequestContainer({
    name: x.name, image: x.image, imagePullPolicy: x.imagePullPolicy, command: x.command, arg: x.arg, workingDir: x.workingDir,
    cpu: x.cpu, memory: x.memory, gpu: x.gpu, stdin: x.stdin, stdinOnce: x.stdinOnce, tty: x.tty,
    environmentVar: x.environmentVar?.map((e) => new $Eci.UpdateContainerGroupRequestContainerEnvironmentVar({
      key: e.key, value: e.value, fieldRef: e.fieldRef ? new $Eci.UpdateContainerGroupRequestContainerEnvironmentVarFieldRef({ fieldPath: e.fieldRef.fieldPath }) : undefined,
    })),
    port: x.port?.map((p) => new $Eci.UpdateContainerGroupRequestContainerPort({ port: p.port, protocol: p.protocol })),
    volumeMount: x.volumeMount?.map((m) => new $Eci.UpdateContainerGroupRequestContainerVolumeMount({ ...m })),
    livenessProbe: x.livenessProbe ? new $Eci.UpdateContainerGroupRequestContainerLivenessProbe({
      ...x.livenessProbe,
      exec: x.livenessProbe.exec ? new $Eci.UpdateContainerGroupRequestContainerLivenessProbeExec({ command: x.livenessProbe.exec.command }) : undefined,
      httpGet: x.livenessProbe.httpGet ? new $Eci.UpdateContainerGroupRequestContainerLivenessProbeHttpGet({ ...x.livenessProbe.httpGet }) : undefined,
      tcpSocket: x.livenessProbe.tcpSocket ? new $Eci.UpdateContainerGroupRequestContainerLivenessProbeTcpSocket({ port: x.livenessProbe.tcpSocket.port }) : undefined,
    }) : undefined,
    readinessProbe: x.readinessProbe ? new $Eci.UpdateContainerGroupRequestContainerReadinessProbe({
      ...x.readinessProbe,
      exec: x.readinessProbe.exec ? new $Eci.UpdateContainerGroupRequestContainerReadinessProbeExec({ command: x.readinessProbe.exec.command }) : undefined,
      httpGet: x.readinessProbe.httpGet ? new $Eci.UpdateContainerGroupRequestContainerReadinessProbeHttpGet({ ...x.readinessProbe.httpGet }) : undefined,
      tcpSocket: x.readinessProbe.tcpSocket ? new $Eci.UpdateContainerGroupRequestContainerReadinessProbeTcpSocket({ port: x.readinessProbe.tcpSocket.port }) : undefined,
    }) : undefined,
    securityContext: x.securityContext ? new $Eci.UpdateContainerGroupRequestContainerSecurityContext({
      runAsUser: x.securityContext.runAsUser, readOnlyRootFilesystem: x.securityContext.readOnlyRootFilesystem,
      capability: x.securityContext.capability ? new $Eci.UpdateContainerGroupRequestContainerSecurityContextCapability({ add: x.securityContext.capability.add }) : undefined,
    }) : undefined,
    lifecyclePostStartHandlerExec: x.lifecyclePostStartHandlerExec,
    lifecyclePostStartHandlerHttpGetHost: x.lifecyclePostStartHandlerHttpGetHost,
    lifecyclePostStartHandlerHttpGetPath: x.lifecyclePostStartHandlerHttpGetPath,
    lifecyclePostStartHandlerHttpGetPort: x.lifecyclePostStartHandlerHttpGetPort,
    lifecyclePostStartHandlerHttpGetScheme: x.lifecyclePostStartHandlerHttpGetScheme,
    lifecyclePostStartHandlerHttpGetHttpHeaders: x.lifecyclePostStartHandlerHttpGetHttpHeader?.map((h) => new $Eci.UpdateContainerGroupRequestContainerLifecyclePostStartHandlerHttpGetHttpHeaders({ name: h.name, value: h.value })),
    lifecyclePostStartHandlerTcpSocketHost: x.lifecyclePostStartHandlerTcpSocketHost,
    lifecyclePostStartHandlerTcpSocketPort: x.lifecyclePostStartHandlerTcpSocketPort,
    lifecyclePreStopHandlerExec: x.lifecyclePreStopHandlerExec,
    lifecyclePreStopHandlerHttpGetHost: x.lifecyclePreStopHandlerHttpGetHost,
    lifecyclePreStopHandlerHttpGetPath: x.lifecyclePreStopHandlerHttpGetPath,
    lifecyclePreStopHandlerHttpGetPort: x.lifecyclePreStopHandlerHttpGetPort,
    lifecyclePreStopHandlerHttpGetScheme: x.lifecyclePreStopHandlerHttpGetScheme,
    lifecyclePreStopHandlerHttpGetHttpHeader: x.lifecyclePreStopHandlerHttpGetHttpHeader?.map((h) => new $Eci.UpdateContainerGroupRequestContainerLifecyclePreStopHandlerHttpGetHttpHeader({ name: h.name, value: h.value })),
    lifecyclePreStopHandlerTcpSocketHost: x.lifecyclePreStopHandlerTcpSocketHost,
    lifecyclePreStopHandlerTcpSocketPort: x.lifecyclePreStopHandlerTcpSocketPort,
  });
}

function toUpdateInitContainer(x: $Eci.CreateContainerGroupRequestInitContainer): $Eci.UpdateContainerGroupRequestInitContainer {
  return new $Eci.UpdateContainerGroupRequestInitContainer({
    name: x.name, image: x.image, imagePullPolicy: x.imagePullPolicy, command: x.command, arg: x.arg, workingDir: x.workingDir,
    cpu: x.cpu, memory: x.memory, gpu: x.gpu,
    environmentVar: x.environmentVar?.map((e) => new $Eci.UpdateContainerGroupRequestInitContainerEnvironmentVar({
      key: e.key, value: e.value, fieldRef: e.fieldRef ? new $Eci.UpdateContainerGroupRequestInitContainerEnvironmentVarFieldRef({ fieldPath: e.fieldRef.fieldPath }) : undefined,
    })),
    port: x.port?.map((p) => new $Eci.UpdateContainerGroupRequestInitContainerPort({ port: p.port, protocol: p.protocol })),
    volumeMount: x.volumeMount?.map((m) => new $Eci.UpdateContainerGroupRequestInitContainerVolumeMount({ ...m })),
    securityContext: x.securityContext ? new $Eci.UpdateContainerGroupRequestInitContainerSecurityContext({
      runAsUser: x.securityContext.runAsUser, readOnlyRootFilesystem: x.securityContext.readOnlyRootFilesystem,
      capability: x.securityContext.capability ? new $Eci.UpdateContainerGroupRequestInitContainerSecurityContextCapability({ add: x.securityContext.capability.add }) : undefined,
    }) : undefined,
  });
}
