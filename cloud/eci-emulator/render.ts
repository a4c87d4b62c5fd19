// Pure mapping from GroupRecord to the exact JSON shapes of the ECI responses (PascalCase wire names,
// including the SDK's quirks: lowercase `uuid`, `type/status/lastTransitionTime`, `involvedObject`, `StartedAtstartedAt`).
import type { ContainerSpec, ContainerState, ContainerStatus, GroupEvent, GroupRecord, ProbeSpec } from './model.js';

type Json = Record<string, unknown>;

const state = (s: ContainerState | undefined): Json | undefined =>
  s && {
    State: s.state,
    DetailStatus: s.detailStatus ?? s.reason ?? '',
    Reason: s.reason ?? '',
    Message: s.message ?? '',
    ExitCode: s.exitCode ?? 0,
    Signal: s.signal ?? 0,
    StartTime: s.startTime,
    FinishTime: s.finishTime,
  };

const probe = (p: ProbeSpec | undefined): Json | undefined =>
  p && {
    InitialDelaySeconds: p.initialDelaySeconds,
    PeriodSeconds: p.periodSeconds,
    TimeoutSeconds: p.timeoutSeconds,
    SuccessThreshold: p.successThreshold,
    FailureThreshold: p.failureThreshold,
    Execs: p.exec,
    HttpGet: p.httpGet && { Path: p.httpGet.path, Port: p.httpGet.port, Scheme: p.httpGet.scheme },
    TcpSocket: p.tcpSocket && { Port: p.tcpSocket.port },
  };

function container(spec: ContainerSpec, st: ContainerStatus | undefined, init: boolean): Json {
  return {
    Name: spec.name,
    Image: spec.image,
    ImagePullPolicy: spec.imagePullPolicy ?? 'IfNotPresent',
    Cpu: spec.cpu ?? 0,
    Memory: spec.memory ?? 0,
    Gpu: spec.gpu ?? 0,
    WorkingDir: spec.workingDir ?? '',
    Ready: st?.ready ?? false,
    RestartCount: st?.restartCount ?? 0,
    Stdin: spec.stdin,
    StdinOnce: spec.stdinOnce,
    Tty: spec.tty,
    [init ? 'Command' : 'Commands']: spec.command,
    Args: spec.args,
    EnvironmentVars: spec.env.map((e) => ({ Key: e.key, Value: e.value ?? '', ValueFrom: e.fieldPath ? { FieldRef: { FieldPath: e.fieldPath } } : undefined })),
    Ports: spec.ports.map((p) => ({ Port: p.port, Protocol: p.protocol })),
    VolumeMounts: spec.volumeMounts.map((m) => ({ Name: m.name, MountPath: m.mountPath, ReadOnly: m.readOnly, SubPath: m.subPath })),
    CurrentState: state(st?.current),
    PreviousState: state(st?.previous) ?? {},
    ReadinessProbe: init ? undefined : probe(spec.readinessProbe),
    LivenessProbe: init ? undefined : probe(spec.livenessProbe),
  };
}

const event = (e: GroupEvent): Json => ({
  Count: e.count,
  Type: e.type,
  Name: e.fieldPath ?? '',
  Message: e.message,
  Reason: e.reason,
  FirstTimestamp: e.firstTimestamp,
  LastTimestamp: e.lastTimestamp,
});

export function containerGroup(g: GroupRecord, withEvents = true): Json {
  const s = g.spec;
  return {
    ContainerGroupId: g.id,
    ContainerGroupName: s.name,
    RegionId: s.regionId,
    ZoneId: s.zoneId,
    VpcId: 'vpc-emulator',
    VSwitchId: s.vSwitchId,
    SecurityGroupId: s.securityGroupId,
    ResourceGroupId: s.resourceGroupId ?? '',
    EniInstanceId: `eni-${g.id.slice(4)}`,
    Status: g.status,
    Cpu: s.cpu,
    Memory: s.memory,
    // The type ECI chose among the ones asked for: the emulator takes the first.
    InstanceType: s.instanceType?.split(',')[0]?.trim() ?? '',
    RestartPolicy: s.restartPolicy,
    IntranetIp: g.intranetIp,
    InternetIp: g.internetIp ?? '',
    RamRoleName: s.ramRoleName ?? '',
    EphemeralStorage: s.ephemeralStorage,
    CreationTime: g.creationTime,
    SucceededTime: g.succeededTime,
    FailedTime: g.failedTime,
    ExpiredTime: g.expiredTime,
    SpotStrategy: s.spotStrategy,
    SpotPriceLimit: s.spotPriceLimit,
    Tags: s.tags.map((t) => ({ Key: t.key, Value: t.value })),
    Events: withEvents ? g.events.map(event) : [],
    HostAliases: s.hostAliases.map((h) => ({ Ip: h.ip, Hostnames: h.hostnames })),
    DnsConfig: s.dnsConfig && {
      NameServers: s.dnsConfig.nameServers,
      Searches: s.dnsConfig.searches,
      Options: s.dnsConfig.options.map((o) => ({ Name: o.name, Value: o.value })),
    },
    Volumes: s.volumes.map((v) => ({
      Name: v.name,
      Type: v.type,
      EmptyDirVolumeMedium: v.emptyDir?.medium,
      EmptyDirVolumeSizeLimit: v.emptyDir?.sizeLimit,
      NFSVolumeServer: v.nfs?.server,
      NFSVolumePath: v.nfs?.path,
      NFSVolumeReadOnly: v.nfs?.readOnly,
      ConfigFileVolumeConfigFileToPaths: v.configFiles?.map((f) => ({ Path: f.path, Content: f.content })),
    })),
    Containers: s.containers.map((c) => container(c, g.containers.find((x) => x.name === c.name), false)),
    InitContainers: s.initContainers.map((c) => container(c, g.initContainers.find((x) => x.name === c.name), true)),
  };
}

const PHASE: Record<string, string> = {
  Scheduling: 'Pending',
  Pending: 'Pending',
  Restarting: 'Pending',
  Updating: 'Pending',
  Running: 'Running',
  Terminating: 'Running',
  Succeeded: 'Succeeded',
  Failed: 'Failed',
  ScheduleFailed: 'Failed',
  Expired: 'Failed',
};

function k8sState(s: ContainerState | undefined, id: string): Json {
  if (!s) return {};
  if (s.state === 'Running') return { Running: { StartedAtstartedAt: s.startTime } };
  if (s.state === 'Terminated')
    return {
      Terminated: { ContainerID: id, ExitCode: s.exitCode ?? 0, Signal: s.signal ?? 0, Reason: s.reason ?? '', Message: s.message ?? '', StartedAt: s.startTime, FinishedAt: s.finishTime },
    };
  return { Waiting: { Reason: s.reason ?? '', Message: s.message ?? '' } };
}

/** The fields DescribeContainerGroupStatus and DescribeContainerGroupEvents both start with: the pod named by the tags. */
const podOf = (g: GroupRecord) => ({
  ContainerGroupId: g.id,
  Name: g.spec.tags.find((t) => t.key === 'PodName')?.value ?? g.spec.name,
  Namespace: g.spec.tags.find((t) => t.key === 'NameSpace' || t.key === 'namespace')?.value ?? 'default',
  Annotations: '{}',
  uuid: g.uuid,
});

export function groupStatus(g: GroupRecord): Json {
  const up = g.status === 'Running' || g.status === 'Succeeded';
  const ready = g.status === 'Running' && g.containers.every((c) => c.ready);
  const cond = (type: string, ok: boolean) => ({ type, status: ok ? 'True' : 'False', lastTransitionTime: g.creationTime, Reason: '', Message: '' });
  return {
    ...podOf(g),
    Status: g.status,
    PodStatus: {
      Phase: PHASE[g.status] ?? 'Pending',
      HostIp: g.intranetIp,
      PodIp: g.intranetIp,
      PodIps: [{ Ip: g.intranetIp }],
      QosClass: 'Guaranteed',
      StartTime: g.startTime ?? g.creationTime,
      Conditions: [cond('PodScheduled', g.status !== 'Scheduling'), cond('Initialized', up), cond('ContainersReady', ready), cond('Ready', ready)],
      ContainerStatuses: g.containers.map((c) => ({
        Name: c.name,
        Image: c.image,
        ImageID: c.image,
        Ready: c.ready,
        Started: c.started,
        RestartCount: c.restartCount,
        ContainerID: `emulator://${g.id}/${c.name}`,
        State: k8sState(c.current, `emulator://${g.id}/${c.name}`),
        LastState: k8sState(c.previous, `emulator://${g.id}/${c.name}`),
      })),
    },
  };
}

export function groupEvents(g: GroupRecord, sinceMs?: number): Json {
  const pod = podOf(g);
  const [name, namespace] = [pod.Name, pod.Namespace];
  return {
    ...pod,
    Events: g.events
      .filter((e) => sinceMs === undefined || Date.parse(e.lastTimestamp) >= sinceMs - 999)
      .map((e) => ({
        Count: e.count,
        Type: e.type,
        Reason: e.reason,
        Message: e.message,
        FirstTimestamp: e.firstTimestamp,
        LastTimestamp: e.lastTimestamp,
        ReportingComponent: 'eci-emulator',
        ReportingInstance: g.spec.zoneId,
        Metadata: { Name: `${name}.${e.reason.toLowerCase()}`, Namespace: namespace },
        Source: { Component: 'eci-emulator', Host: g.intranetIp },
        involvedObject: { Kind: 'Pod', Name: name, Namespace: namespace, Uid: g.uuid, ApiVersion: 'v1', FieldPath: e.fieldPath },
      })),
  };
}
