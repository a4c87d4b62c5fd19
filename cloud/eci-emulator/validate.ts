// Parameter validation: turns the un-flattened request tree into typed values and specs, raising ECI's
// MissingParameter / InvalidParameter errors named after the wire parameter (e.g. `Container.2.Image`).
// Pure; knows nothing about HTTP or state.
import { isIP } from 'node:net';
import { invalidParameter, missingParameter } from './errors.js';
import type { FlatTree } from './unflatten.js';
import { DNS_POLICIES, SPOT_STRATEGIES, type ContainerSpec, type DnsConfigSpec, type DnsPolicy, type EnvVarSpec, type GroupSpec, type ProbeSpec, type RestartPolicy, type SpotStrategy, type VolumeSpec, type VolumeMountSpec } from './model.js';

export type Params = { [key: string]: FlatTree };

const join = (path: string, key: string | number): string => (path ? `${path}.${key}` : String(key));

function obj(p: Params, key: string, path = ''): Params | undefined {
  const v = p[key];
  if (v === undefined) return undefined;
  if (typeof v === 'string' || Array.isArray(v)) throw invalidParameter(join(path, key), 'expected a structure of sub-parameters');
  return v;
}

function list(p: Params, key: string, path = ''): FlatTree[] {
  const v = p[key];
  if (v === undefined) return [];
  if (!Array.isArray(v)) throw invalidParameter(join(path, key), `expected a list (${join(path, key)}.N)`);
  return v;
}

export function str(p: Params, key: string, opts: { required?: boolean; max?: number; pattern?: RegExp; oneOf?: readonly string[] } = {}, path = ''): string | undefined {
  const v = p[key];
  const name = join(path, key);
  if (v === undefined || v === '') {
    if (opts.required) throw missingParameter(name);
    return undefined;
  }
  if (typeof v !== 'string') throw invalidParameter(name, 'expected a single value');
  if (opts.max !== undefined && v.length > opts.max) throw invalidParameter(name, `longer than ${opts.max} characters`);
  if (opts.pattern && !opts.pattern.test(v)) throw invalidParameter(name, `"${v}" has an invalid format`);
  if (opts.oneOf && !opts.oneOf.includes(v)) throw invalidParameter(name, `"${v}" must be one of ${opts.oneOf.join(', ')}`);
  return v;
}

export function reqStr(p: Params, key: string, opts: { max?: number; pattern?: RegExp; oneOf?: readonly string[] } = {}, path = ''): string {
  return str(p, key, { ...opts, required: true }, path)!;
}

export function num(p: Params, key: string, opts: { min?: number; max?: number; integer?: boolean } = {}, path = ''): number | undefined {
  const raw = str(p, key, {}, path);
  if (raw === undefined) return undefined;
  const name = join(path, key);
  const n = Number(raw);
  if (!/^-?\d+(\.\d+)?([eE][+-]?\d+)?$/.test(raw.trim()) || !Number.isFinite(n)) throw invalidParameter(name, `"${raw}" is not a number`);
  if (opts.integer && !Number.isInteger(n)) throw invalidParameter(name, `"${raw}" is not an integer`);
  if ((opts.min !== undefined && n < opts.min) || (opts.max !== undefined && n > opts.max))
    throw invalidParameter(name, `${n} is out of range [${opts.min ?? '-inf'}, ${opts.max ?? 'inf'}]`);
  return n;
}

export function bool(p: Params, key: string, path = ''): boolean | undefined {
  const raw = str(p, key, {}, path);
  if (raw === undefined) return undefined;
  if (raw === 'true') return true;
  if (raw === 'false') return false;
  throw invalidParameter(join(path, key), `"${raw}" is not a boolean (true|false)`);
}

/** A list of plain strings sent as `Key.N`. */
function strList(p: Params, key: string, path = '', maxItemLen = 4096): string[] {
  return list(p, key, path).map((v, i) => {
    if (typeof v !== 'string') throw invalidParameter(join(path, `${key}.${i + 1}`), 'expected a single value');
    if (v.length > maxItemLen) throw invalidParameter(join(path, `${key}.${i + 1}`), `longer than ${maxItemLen} characters`);
    return v;
  });
}

/** A list of strings sent as one JSON array string (ContainerGroupIds, Command). */
export function jsonStrList(p: Params, key: string, opts: { maxItems?: number; maxItemLen?: number; required?: boolean } = {}): string[] | undefined {
  const raw = str(p, key, { required: opts.required });
  if (raw === undefined) return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch {
    throw invalidParameter(key, 'expected a JSON array of strings, e.g. ["a","b"]');
  }
  if (!Array.isArray(parsed) || !parsed.every((x) => typeof x === 'string')) throw invalidParameter(key, 'expected a JSON array of strings');
  if (opts.maxItems !== undefined && parsed.length > opts.maxItems) throw invalidParameter(key, `at most ${opts.maxItems} items`);
  if (opts.maxItemLen !== undefined && parsed.some((s: string) => s.length > opts.maxItemLen!)) throw invalidParameter(key, `items longer than ${opts.maxItemLen} characters`);
  return parsed;
}

function item(v: FlatTree, name: string): Params {
  if (typeof v === 'string' || Array.isArray(v)) throw invalidParameter(name, 'expected a structure of sub-parameters');
  return v;
}

export function tags(p: Params, path = ''): { key: string; value: string }[] {
  const out = list(p, 'Tag', path).map((t, i) => {
    const at = join(path, `Tag.${i + 1}`);
    const tp = item(t, at);
    return { key: reqStr(tp, 'Key', { max: 128 }, at), value: str(tp, 'Value', { max: 128 }, at) ?? '' };
  });
  if (out.length > 20) throw invalidParameter(join(path, 'Tag'), 'at most 20 tags');
  return out;
}

const NAME = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const POLICIES: readonly RestartPolicy[] = ['Always', 'OnFailure', 'Never'];

function probe(p: Params | undefined, path: string): ProbeSpec | undefined {
  if (!p) return undefined;
  const execP = obj(p, 'Exec', path);
  const http = obj(p, 'HttpGet', path);
  const tcp = obj(p, 'TcpSocket', path);
  const spec: ProbeSpec = {
    initialDelaySeconds: num(p, 'InitialDelaySeconds', { min: 0, max: 3600, integer: true }, path) ?? 0,
    periodSeconds: num(p, 'PeriodSeconds', { min: 1, max: 3600, integer: true }, path) ?? 10,
    timeoutSeconds: num(p, 'TimeoutSeconds', { min: 1, max: 3600, integer: true }, path) ?? 1,
    successThreshold: num(p, 'SuccessThreshold', { min: 1, max: 100, integer: true }, path) ?? 1,
    failureThreshold: num(p, 'FailureThreshold', { min: 1, max: 100, integer: true }, path) ?? 3,
  };
  if (execP) spec.exec = strList(execP, 'Command', join(path, 'Exec'));
  if (http) {
    spec.httpGet = {
      path: str(http, 'Path', {}, join(path, 'HttpGet')) ?? '/',
      port: num(http, 'Port', { min: 1, max: 65535, integer: true }, join(path, 'HttpGet')) ?? 80,
      scheme: (str(http, 'Scheme', { oneOf: ['HTTP', 'HTTPS'] }, join(path, 'HttpGet')) ?? 'HTTP') as 'HTTP' | 'HTTPS',
    };
  }
  if (tcp) spec.tcpSocket = { port: num(tcp, 'Port', { min: 1, max: 65535, integer: true }, join(path, 'TcpSocket')) ?? 80 };
  const kinds = [spec.exec, spec.httpGet, spec.tcpSocket].filter(Boolean).length;
  if (kinds !== 1) throw invalidParameter(path, 'a probe needs exactly one of Exec, HttpGet or TcpSocket');
  return spec;
}

function env(p: Params, path: string): EnvVarSpec[] {
  return list(p, 'EnvironmentVar', path).map((e, i) => {
    const at = join(path, `EnvironmentVar.${i + 1}`);
    const ep = item(e, at);
    const key = reqStr(ep, 'Key', { max: 256, pattern: /^[-._a-zA-Z][-._a-zA-Z0-9]*$/ }, at);
    const fieldRef = obj(ep, 'FieldRef', at);
    const fieldPath = fieldRef ? str(fieldRef, 'FieldPath', { oneOf: ['status.podIP', 'metadata.name', 'metadata.namespace', 'metadata.uid', 'spec.nodeName', 'status.hostIP'] }, join(at, 'FieldRef')) : undefined;
    return { key, value: str(ep, 'Value', {}, at), fieldPath };
  });
}

function container(v: FlatTree, path: string, init: boolean): ContainerSpec {
  const p = item(v, path);
  const mounts: VolumeMountSpec[] = list(p, 'VolumeMount', path).map((m, i) => {
    const at = join(path, `VolumeMount.${i + 1}`);
    const mp = item(m, at);
    return {
      name: reqStr(mp, 'Name', {}, at),
      mountPath: reqStr(mp, 'MountPath', { pattern: /^\/.*/ }, at),
      readOnly: bool(mp, 'ReadOnly', at) ?? false,
      subPath: str(mp, 'SubPath', {}, at),
    };
  });
  return {
    name: reqStr(p, 'Name', { max: 128, pattern: NAME }, path),
    image: reqStr(p, 'Image', { max: 1024 }, path),
    imagePullPolicy: str(p, 'ImagePullPolicy', { oneOf: ['Always', 'IfNotPresent', 'Never'] }, path),
    command: strList(p, 'Command', path),
    args: strList(p, 'Arg', path),
    env: env(p, path),
    workingDir: str(p, 'WorkingDir', { pattern: /^\// }, path),
    ports: list(p, 'Port', path).map((x, i) => {
      const at = join(path, `Port.${i + 1}`);
      const pp = item(x, at);
      return { port: num(pp, 'Port', { min: 1, max: 65535, integer: true }, at) ?? 0, protocol: str(pp, 'Protocol', { oneOf: ['TCP', 'UDP', 'SCTP'] }, at) ?? 'TCP' };
    }),
    volumeMounts: mounts,
    cpu: num(p, 'Cpu', { min: 0, max: 256 }, path),
    memory: num(p, 'Memory', { min: 0, max: 2048 }, path),
    gpu: num(p, 'Gpu', { min: 0, max: 64, integer: true }, path),
    stdin: bool(p, 'Stdin', path) ?? false,
    stdinOnce: bool(p, 'StdinOnce', path) ?? false,
    tty: bool(p, 'Tty', path) ?? false,
    readinessProbe: init ? undefined : probe(obj(p, 'ReadinessProbe', path), join(path, 'ReadinessProbe')),
    livenessProbe: init ? undefined : probe(obj(p, 'LivenessProbe', path), join(path, 'LivenessProbe')),
  };
}

function volume(v: FlatTree, path: string): VolumeSpec {
  const p = item(v, path);
  const type = reqStr(p, 'Type', { oneOf: ['EmptyDirVolume', 'NFSVolume', 'ConfigFileVolume', 'DiskVolume', 'FlexVolume', 'HostPathVolume'] }, path);
  const spec: VolumeSpec = { name: reqStr(p, 'Name', { max: 128 }, path), type };
  const ed = obj(p, 'EmptyDirVolume', path);
  if (ed) spec.emptyDir = { medium: str(ed, 'Medium', { oneOf: ['', 'Memory', 'LocalRaid0'] }, join(path, 'EmptyDirVolume')), sizeLimit: str(ed, 'SizeLimit', {}, join(path, 'EmptyDirVolume')) };
  const cf = obj(p, 'ConfigFileVolume', path);
  if (cf) {
    const at = join(path, 'ConfigFileVolume');
    spec.configDefaultMode = num(cf, 'DefaultMode', { min: 0, max: 0o777, integer: true }, at);
    spec.configFiles = list(cf, 'ConfigFileToPath', at).map((f, i) => {
      const fat = join(at, `ConfigFileToPath.${i + 1}`);
      const fp = item(f, fat);
      const rel = reqStr(fp, 'Path', { pattern: /^(?!\/)(?!.*(^|\/)\.\.(\/|$)).+$/ }, fat);
      const content = str(fp, 'Content', { pattern: /^[A-Za-z0-9+/=\s]*$/ }, fat) ?? '';
      return { path: rel, content, mode: num(fp, 'Mode', { min: 0, max: 0o777, integer: true }, fat) };
    });
  }
  const nfs = obj(p, 'NFSVolume', path);
  if (nfs) spec.nfs = { server: str(nfs, 'Server'), path: str(nfs, 'Path'), readOnly: bool(nfs, 'ReadOnly') };
  const hp = obj(p, 'HostPathVolume', path);
  if (hp) spec.hostPath = { path: str(hp, 'Path'), type: str(hp, 'Type') };
  return spec;
}

function checkUnique(names: string[], what: string): void {
  const seen = new Set<string>();
  for (const n of names) {
    if (seen.has(n)) throw invalidParameter(what, `duplicate name "${n}"`);
    seen.add(n);
  }
}

const VSWITCH_ID = /^vsw-[a-z0-9-]{1,64}$/;

/** `VSwitchId`: 1-10 comma-separated IDs; the group is placed in the first (VSwitchOrdered, the emulator's choice for both strategies). */
function vSwitch(p: Params): string | undefined {
  const raw = str(p, 'VSwitchId', { max: 1024 });
  if (raw === undefined) return undefined;
  const list = raw.split(',').map((s) => s.trim());
  if (list.length > 10 || !list.every((v) => VSWITCH_ID.test(v))) throw invalidParameter('VSwitchId', `"${raw}" must be 1-10 comma-separated vSwitch IDs`);
  return list[0];
}

/** Spot: SpotPriceLimit is required by SpotWithPriceLimit (MissingParameter, the emulator's choice) and ignored otherwise. */
function spot(p: Params): Pick<GroupSpec, 'spotStrategy' | 'spotPriceLimit' | 'spotDuration' | 'strictSpot'> {
  const strategy = (str(p, 'SpotStrategy', { oneOf: SPOT_STRATEGIES }) ?? 'NoSpot') as SpotStrategy;
  const limit = num(p, 'SpotPriceLimit', { min: 0, max: 1_000_000 });
  if (strategy === 'SpotWithPriceLimit' && limit === undefined) throw missingParameter('SpotPriceLimit');
  return {
    spotStrategy: strategy,
    spotPriceLimit: strategy === 'SpotWithPriceLimit' ? limit : undefined,
    spotDuration: num(p, 'SpotDuration', { min: 0, max: 1, integer: true }),
    strictSpot: bool(p, 'StrictSpot'),
  };
}

/** EIP: a new one (AutoCreateEip) or an existing one (EipInstanceId), never both (InvalidParameter, the emulator's choice). */
function eip(p: Params): GroupSpec['eip'] {
  const create = bool(p, 'AutoCreateEip') ?? false;
  const instanceId = str(p, 'EipInstanceId', { pattern: /^eip-[a-z0-9]{4,64}$/ });
  if (create && instanceId) throw invalidParameter('EipInstanceId', 'cannot be combined with AutoCreateEip=true');
  const bandwidth = num(p, 'EipBandwidth', { min: 1, max: 500, integer: true });
  const isp = str(p, 'EipISP', { oneOf: ['BGP', 'BGP_PRO'] });
  const commonBandwidthPackage = str(p, 'EipCommonBandwidthPackage', { pattern: /^cbwp-[a-z0-9]{4,64}$/ });
  if (!create && !instanceId) return undefined;
  return { create, instanceId, bandwidth, isp, commonBandwidthPackage };
}

function acrInstances(p: Params): string[] {
  return list(p, 'AcrRegistryInfo').map((a, i) => reqStr(item(a, `AcrRegistryInfo.${i + 1}`), 'InstanceId', { pattern: /^cri-[a-z0-9]+$/ }, `AcrRegistryInfo.${i + 1}`));
}

// What goes into the group's /etc/hosts and /etc/resolv.conf must not break their lines: names are single
// whitespace-free tokens (and no `#`, which starts a comment in /etc/hosts), addresses are IPs.
const HOST_NAME = /^[^\s\p{Cc}#]{1,253}$/u;
const RESOLV_TOKEN = /^[^\s\p{Cc}]+$/u;

function ipAddress(v: string, name: string): string {
  if (!isIP(v)) throw invalidParameter(name, `"${v}" is not an IP address`);
  return v;
}

/** `HostAliase.N` {Ip, Hostname.M}: lines of the group's /etc/hosts. */
function hostAliases(p: Params): GroupSpec['hostAliases'] {
  return list(p, 'HostAliase').map((h, i) => {
    const at = `HostAliase.${i + 1}`;
    const hp = item(h, at);
    const hostnames = strList(hp, 'Hostname', at);
    hostnames.forEach((n, j) => {
      if (!HOST_NAME.test(n)) throw invalidParameter(`${at}.Hostname.${j + 1}`, `"${n}" is not a host name`);
    });
    return { ip: ipAddress(reqStr(hp, 'Ip', {}, at), `${at}.Ip`), hostnames };
  });
}

/** `DnsConfig` {NameServer.N, Search.N, Option.N {Name, Value}}: what the group's /etc/resolv.conf adds. */
function dnsConfig(p: Params): DnsConfigSpec | undefined {
  const dns = obj(p, 'DnsConfig');
  if (!dns) return undefined;
  const token = (v: string, name: string): string => {
    if (!RESOLV_TOKEN.test(v)) throw invalidParameter(name, `"${v}" must be one word without spaces or control characters`);
    return v;
  };
  return {
    nameServers: strList(dns, 'NameServer', 'DnsConfig').map((v, i) => ipAddress(v, `DnsConfig.NameServer.${i + 1}`)),
    searches: strList(dns, 'Search', 'DnsConfig').map((v, i) => token(v, `DnsConfig.Search.${i + 1}`)),
    options: list(dns, 'Option', 'DnsConfig').map((o, i) => {
      const at = `DnsConfig.Option.${i + 1}`;
      const op = item(o, at);
      const value = str(op, 'Value', {}, at);
      return { name: token(reqStr(op, 'Name', {}, at), `${at}.Name`), value: value === undefined ? undefined : token(value, `${at}.Value`) };
    }),
  };
}

/** Validates CreateContainerGroup (and RenewUpdate) parameters. */
export function groupSpec(p: Params, regionId: string, requireName = true): GroupSpec {
  const containers = list(p, 'Container').map((c, i) => container(c, `Container.${i + 1}`, false));
  if (containers.length === 0) throw missingParameter('Container.1.Name');
  if (containers.length > 20) throw invalidParameter('Container', 'at most 20 containers');
  const initContainers = list(p, 'InitContainer').map((c, i) => container(c, `InitContainer.${i + 1}`, true));
  checkUnique([...containers, ...initContainers].map((c) => c.name), 'Container.N.Name');
  const volumes = list(p, 'Volume').map((v, i) => volume(v, `Volume.${i + 1}`));
  checkUnique(volumes.map((v) => v.name), 'Volume.N.Name');
  const volumeNames = new Set(volumes.map((v) => v.name));
  [...containers, ...initContainers].forEach((c) =>
    c.volumeMounts.forEach((m) => {
      if (!volumeNames.has(m.name)) throw invalidParameter(`VolumeMount.Name`, `container "${c.name}" mounts unknown volume "${m.name}"`);
    }),
  );
  const sumCpu = containers.reduce((s, c) => s + (c.cpu ?? 0), 0);
  const sumMem = containers.reduce((s, c) => s + (c.memory ?? 0), 0);
  return {
    name: requireName ? reqStr(p, 'ContainerGroupName', { max: 128, pattern: NAME }) : (str(p, 'ContainerGroupName') ?? ''),
    regionId,
    zoneId: str(p, 'ZoneId') ?? `${regionId}-b`,
    securityGroupId: str(p, 'SecurityGroupId', { pattern: /^sg-[a-z0-9-]{1,64}$/ }) ?? 'sg-emulator-default',
    vSwitchId: vSwitch(p) ?? 'vsw-emulator-default',
    restartPolicy: (str(p, 'RestartPolicy', { oneOf: POLICIES }) ?? 'Always') as RestartPolicy,
    cpu: num(p, 'Cpu', { min: 0.25, max: 256 }) ?? (sumCpu > 0 ? sumCpu : 2),
    memory: num(p, 'Memory', { min: 0.5, max: 2048 }) ?? (sumMem > 0 ? sumMem : 4),
    instanceType: str(p, 'InstanceType'),
    terminationGracePeriodSeconds: num(p, 'TerminationGracePeriodSeconds', { min: 0, max: 86400, integer: true }),
    hostName: str(p, 'HostName'),
    containers,
    initContainers,
    volumes,
    tags: tags(p),
    hostAliases: hostAliases(p),
    dnsConfig: dnsConfig(p),
    dnsPolicy: str(p, 'DnsPolicy', { oneOf: DNS_POLICIES }) as DnsPolicy | undefined,
    resourceGroupId: str(p, 'ResourceGroupId', { pattern: /^rg-[a-z0-9]{4,64}$/ }),
    ramRoleName: str(p, 'RamRoleName', { max: 64, pattern: /^[A-Za-z0-9.-]+$/ }),
    ...spot(p),
    eip: eip(p),
    ephemeralStorage: num(p, 'EphemeralStorage', { min: 1, max: 2048, integer: true }),
    dataCacheBucket: str(p, 'DataCacheBucket', { max: 63 }),
    imageSnapshotId: str(p, 'ImageSnapshotId', { pattern: /^imc-[a-z0-9]{4,64}$/ }),
    autoMatchImageCache: bool(p, 'AutoMatchImageCache'),
    acrInstanceIds: acrInstances(p),
    scheduleStrategy: str(p, 'ScheduleStrategy', { oneOf: ['VSwitchOrdered', 'VSwitchRandom'] }),
  };
}

/** IncrementalUpdate: containers in the request replace those with the same name; other fields only if given. */
export function mergeIncremental(base: GroupSpec, p: Params): GroupSpec {
  const next = structuredClone(base);
  const containers = list(p, 'Container').map((c, i) => container(c, `Container.${i + 1}`, false));
  for (const c of containers) {
    const idx = next.containers.findIndex((x) => x.name === c.name);
    if (idx < 0) throw invalidParameter('Container.N.Name', `no container named "${c.name}" in this group`);
    next.containers[idx] = c;
  }
  const inits = list(p, 'InitContainer').map((c, i) => container(c, `InitContainer.${i + 1}`, true));
  for (const c of inits) {
    const idx = next.initContainers.findIndex((x) => x.name === c.name);
    if (idx < 0) next.initContainers.push(c);
    else next.initContainers[idx] = c;
  }
  const policy = str(p, 'RestartPolicy', { oneOf: POLICIES });
  if (policy) next.restartPolicy = policy as RestartPolicy;
  next.cpu = num(p, 'Cpu', { min: 0.25, max: 256 }) ?? next.cpu;
  next.memory = num(p, 'Memory', { min: 0.5, max: 2048 }) ?? next.memory;
  const newTags = tags(p);
  if (newTags.length) next.tags = newTags;
  next.dnsConfig = dnsConfig(p) ?? next.dnsConfig;
  const vols = list(p, 'Volume').map((v, i) => volume(v, `Volume.${i + 1}`));
  for (const v of vols) {
    const idx = next.volumes.findIndex((x) => x.name === v.name);
    if (idx < 0) next.volumes.push(v);
    else next.volumes[idx] = v;
  }
  return next;
}
