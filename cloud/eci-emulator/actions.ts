// The ECI actions: validate parameters, call the state machine / runtime, and build the response body
// (without RequestId, which the HTTP layer adds). One function per action, keyed by wire action name.
import { createHash } from 'node:crypto';
import type { ActionName, EmulatorConfig } from './config.js';
import type { Controller } from './controller.js';
import { EciError, incorrectStatus, invalidParameter } from './errors.js';
import type { ExecTokens } from './exec-tokens.js';
import type { ImageCacheStore } from './image-cache-store.js';
import { MetricsHistory, record } from './metrics.js';
import { renderLogs } from './runtime/log-buffer.js';
import { parsePriceRequest, priceInfo, type Prices } from './pricing.js';
import type { Runtime } from './runtime/types.js';
import { containerGroup, groupEvents, groupStatus } from './render.js';
import { bool, groupSpec, jsonStrList, mergeIncremental, num, reqStr, str, tags, type Params } from './validate.js';
import type { GroupRecord } from './model.js';

export interface ActionContext {
  controller: Controller;
  runtime: Runtime;
  config: () => EmulatorConfig;
  execTokens: ExecTokens;
  metrics: MetricsHistory;
  imageCaches: ImageCacheStore;
  prices: Prices;
  /** `host:port` the WebSocketUri should point at. */
  publicHost: () => string;
}

type ActionHandler = (ctx: ActionContext, p: Params, regionId: string) => Promise<Record<string, unknown>> | Record<string, unknown>;

function stableStringify(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(stableStringify).join(',')}]`;
  if (v && typeof v === 'object') return `{${Object.keys(v).sort().map((k) => `${JSON.stringify(k)}:${stableStringify((v as Record<string, unknown>)[k])}`).join(',')}}`;
  return JSON.stringify(v);
}

const fingerprint = (p: Params): string => {
  const { ClientToken: _t, ...rest } = p;
  return createHash('sha256').update(stableStringify(rest)).digest('hex');
};

const limit = (p: Params, def: number, max: number): number => num(p, 'Limit', { min: 1, max, integer: true }) ?? def;

function runningContainer(g: GroupRecord, name: string): void {
  const c = g.containers.find((x) => x.name === name) ?? g.initContainers.find((x) => x.name === name);
  if (!c) throw invalidParameter('ContainerName', `container "${name}" does not exist in ${g.id}`);
  if (g.status !== 'Running' && g.status !== 'Pending' && g.status !== 'Updating') throw incorrectStatus(`The container group ${g.id} is ${g.status}; exec needs a running container.`);
  if (c.current.state !== 'Running') throw incorrectStatus(`The container ${name} is ${c.current.state}; exec needs a running container.`);
}

const SYNC_EXEC_BUDGET_MS = 2500;

export const actions: Record<ActionName, ActionHandler> = {
  CreateContainerGroup(ctx, p, regionId) {
    const spec = groupSpec(p, regionId);
    if (bool(p, 'DryRun')) throw new EciError(400, 'DryRunOperation', 'Request validation has been passed with DryRun flag set.');
    const token = str(p, 'ClientToken', { max: 64, pattern: /^[\x20-\x7e]+$/ });
    const id = ctx.controller.create(spec, token, fingerprint(p));
    return { ContainerGroupId: id };
  },

  DescribeContainerGroups(ctx, p, regionId) {
    const ids = jsonStrList(p, 'ContainerGroupIds', { maxItems: 20 });
    const page = ctx.controller.list(
      { regionId, ids, name: str(p, 'ContainerGroupName'), status: str(p, 'Status'), tags: tags(p), zoneId: str(p, 'ZoneId'), vSwitchId: str(p, 'VSwitchId'), resourceGroupId: str(p, 'ResourceGroupId') },
      limit(p, 20, 20),
      str(p, 'NextToken'),
    );
    const withEvent = bool(p, 'WithEvent') ?? true;
    return { TotalCount: page.total, NextToken: page.nextToken, ContainerGroups: page.groups.map((g) => containerGroup(g, withEvent)) };
  },

  DescribeContainerGroupStatus(ctx, p, regionId) {
    const since = num(p, 'SinceSecond', { min: 0, integer: true });
    const page = ctx.controller.list(
      { regionId, ids: jsonStrList(p, 'ContainerGroupIds', { maxItems: 500 }), tags: tags(p), zoneId: str(p, 'ZoneId'), vSwitchId: str(p, 'VSwitchId'), resourceGroupId: str(p, 'ResourceGroupId'), sinceMs: since !== undefined ? Date.now() - since * 1000 : undefined },
      limit(p, 20, 500),
      str(p, 'NextToken'),
    );
    return { TotalCount: page.total, NextToken: page.nextToken, Data: page.groups.map(groupStatus) };
  },

  DescribeContainerGroupEvents(ctx, p, regionId) {
    const since = num(p, 'SinceSecond', { min: 0, integer: true });
    const sinceMs = since !== undefined ? Date.now() - since * 1000 : undefined;
    str(p, 'EventSource', { oneOf: ['K8S', 'ECI', 'k8s', 'eci'] });
    const page = ctx.controller.list(
      { regionId, ids: jsonStrList(p, 'ContainerGroupIds', { maxItems: 500 }), tags: tags(p), zoneId: str(p, 'ZoneId'), vSwitchId: str(p, 'VSwitchId'), resourceGroupId: str(p, 'ResourceGroupId') },
      limit(p, 20, 500),
      str(p, 'NextToken'),
    );
    return { TotalCount: page.total, NextToken: page.nextToken, Data: page.groups.map((g) => groupEvents(g, sinceMs)) };
  },

  DeleteContainerGroup(ctx, p, regionId) {
    ctx.controller.delete(regionId, reqStr(p, 'ContainerGroupId'));
    return {};
  },

  RestartContainerGroup(ctx, p, regionId) {
    ctx.controller.restart(regionId, reqStr(p, 'ContainerGroupId'));
    return {};
  },

  UpdateContainerGroup(ctx, p, regionId) {
    const g = ctx.controller.get(regionId, reqStr(p, 'ContainerGroupId'));
    const type = str(p, 'UpdateType', { oneOf: ['RenewUpdate', 'IncrementalUpdate'] }) ?? 'RenewUpdate';
    let next;
    if (type === 'RenewUpdate' && p.Container !== undefined) {
      next = groupSpec(p, regionId, false);
      next.name = g.spec.name;
      next.zoneId = g.spec.zoneId;
      next.securityGroupId = g.spec.securityGroupId;
      next.vSwitchId = g.spec.vSwitchId;
      next.terminationGracePeriodSeconds = g.spec.terminationGracePeriodSeconds;
      if (!p.Tag) next.tags = g.spec.tags;
      if (!p.Volume) next.volumes = g.spec.volumes;
      if (!p.InitContainer) next.initContainers = g.spec.initContainers;
      if (!p.RestartPolicy) next.restartPolicy = g.spec.restartPolicy;
      // UpdateContainerGroup has no HostAliase or DnsPolicy: they stay; DnsConfig only if sent.
      next.hostAliases = g.spec.hostAliases;
      next.dnsPolicy = g.spec.dnsPolicy;
      if (!p.DnsConfig) next.dnsConfig = g.spec.dnsConfig;
    } else {
      next = mergeIncremental(g.spec, p);
    }
    ctx.controller.update(regionId, g.id, next);
    return {};
  },

  async ExecContainerCommand(ctx, p, regionId) {
    const g = ctx.controller.get(regionId, reqStr(p, 'ContainerGroupId'));
    const container = reqStr(p, 'ContainerName');
    const command = jsonStrList(p, 'Command', { required: true, maxItems: 20, maxItemLen: 256 })!;
    if (command.length === 0) throw invalidParameter('Command', 'must not be empty');
    const tty = bool(p, 'TTY') ?? false;
    const stdin = bool(p, 'Stdin') ?? true;
    const sync = bool(p, 'Sync') ?? false;
    if (sync && tty) throw invalidParameter('Sync', 'Sync=true requires TTY=false');
    runningContainer(g, container);
    if (sync) {
      const session = ctx.runtime.exec(g, container, command, { tty: false, stdin: false });
      const chunks: Buffer[] = [];
      // SyncResponse is "the output of the command": both streams, in the order they arrive (ECI does not say more).
      const streams = [session.stdout, session.stderr];
      for (const s of streams) s.on('data', (d: Buffer) => chunks.push(Buffer.from(d)));
      const timer = setTimeout(() => session.kill(), SYNC_EXEC_BUDGET_MS);
      await session.exit;
      await Promise.all(streams.map((s) => new Promise<void>((r) => (s.readableEnded ? r() : s.once('end', () => r())))));
      clearTimeout(timer);
      return { WebSocketUri: '', HttpUrl: '', SyncResponse: Buffer.concat(chunks).toString('utf8') };
    }
    const token = ctx.execTokens.issue({ groupId: g.id, regionId, container, command, options: { tty, stdin } });
    const host = ctx.publicHost();
    return { WebSocketUri: `ws://${host}/exec/?s=${token}`, HttpUrl: `http://${host}/exec/?s=${token}`, SyncResponse: '' };
  },

  DescribeContainerLog(ctx, p, regionId) {
    const g = ctx.controller.get(regionId, reqStr(p, 'ContainerGroupId'));
    const name = reqStr(p, 'ContainerName');
    if (!g.spec.containers.some((c) => c.name === name) && !g.spec.initContainers.some((c) => c.name === name))
      throw invalidParameter('ContainerName', `container "${name}" does not exist in ${g.id}`);
    const startRaw = str(p, 'StartTime');
    const startTimeMs = startRaw !== undefined ? Date.parse(startRaw) : undefined;
    if (startTimeMs !== undefined && Number.isNaN(startTimeMs)) throw invalidParameter('StartTime', 'expected an RFC3339 UTC time such as 2024-01-01T00:00:00Z');
    const lines = ctx.runtime.logs(g.id, name, bool(p, 'LastTime') ?? false) ?? [];
    const content = renderLogs(lines, {
      tail: num(p, 'Tail', { min: 0, integer: true }) ?? (ctx.config().logs.defaultTail || undefined),
      sinceSeconds: num(p, 'SinceSeconds', { min: 1, integer: true }),
      startTimeMs,
      limitBytes: num(p, 'LimitBytes', { min: 1, integer: true }),
      timestamps: bool(p, 'Timestamps') ?? false,
    });
    return { ContainerName: name, Content: content };
  },

  DescribeContainerGroupMetric(ctx, p, regionId) {
    const g = ctx.controller.get(regionId, reqStr(p, 'ContainerGroupId'));
    const start = str(p, 'StartTime');
    const end = str(p, 'EndTime');
    const startMs = start ? Date.parse(start) : Date.now() - 5 * 60_000;
    const endMs = end ? Date.parse(end) : Date.now() + 1000;
    if (Number.isNaN(startMs)) throw invalidParameter('StartTime', 'expected an RFC3339 UTC time');
    if (Number.isNaN(endMs)) throw invalidParameter('EndTime', 'expected an RFC3339 UTC time');
    if (endMs < startMs) throw invalidParameter('EndTime', 'must not be before StartTime');
    str(p, 'Period', { oneOf: ['5', '15', '30', '60', '600', '3600'] });
    const samples = ctx.metrics.sample(g, (x) => ctx.runtime.metrics(x));
    return { ContainerGroupId: g.id, Records: samples.filter((s) => s.ms >= startMs && s.ms <= endMs).map((s) => record(g, s)) };
  },

  CreateImageCache(ctx, p, regionId) {
    return ctx.imageCaches.create(p, regionId, fingerprint(p));
  },

  DescribeImageCaches(ctx, p, regionId) {
    return ctx.imageCaches.describe(p, regionId);
  },

  DeleteImageCache(ctx, p, regionId) {
    ctx.imageCaches.delete(regionId, reqStr(p, 'ImageCacheId'));
    return {};
  },

  DescribeMultiContainerGroupMetric(ctx, p, regionId) {
    const ids = jsonStrList(p, 'ContainerGroupIds', { required: true, maxItems: 50 })!;
    str(p, 'MetricType', { oneOf: ['summary', 'Summary', 'all', 'All'] });
    const MonitorDatas = ids.map((id) => {
      const g = ctx.controller.get(regionId, id);
      const samples = ctx.metrics.sample(g, (x) => ctx.runtime.metrics(x));
      return { ContainerGroupId: id, Records: [record(g, samples[samples.length - 1])] };
    });
    return { MonitorDatas };
  },

  DescribeContainerGroupPrice(ctx, p) {
    return { PriceInfo: priceInfo(ctx.prices.table, parsePriceRequest(p)) };
  },
};
