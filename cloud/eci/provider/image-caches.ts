// Image caches for the images of a tenant's burst pods: the tenant's `imageCaches` settings, and the keeper that
// creates an ECI image cache for an image set no cache covers yet (a new workload, or a Deployment whose image
// changed), within the tenant's budget of caches, deleting the least recently used beyond it. Caches it made are
// tagged with the tenant id and adopted from a listing on first use, so a restarted relay keeps its budget. Creates
// then send AutoMatchImageCache (withAutoMatch) so ECI matches the cache. The ECI I/O is behind ImageCacheApi.
import { createHash } from 'node:crypto';
import type { V1Pod } from '@kubernetes/client-node';
import { FieldError } from '../../../common/field-error.js';
import type { Logger } from '../../../common/log.js';
import type { $Eci } from '../sdk.js';
import type { ApplyResult, PodIntent, TenantScope } from '../../pod-provider/provider.js';

/** `tenants.<id>.imageCaches`: keep image caches for burst images, at most `maxCaches` of this tenant's at once. */
export interface ImageCachesConfig {
  enabled: boolean;
  maxCaches: number;
}

/** Default budget: each cache is a snapshot billed while it exists (ECI image cache billing). */
const DEFAULT_MAX_CACHES = 10;

/** Parses `tenants.<id>.imageCaches`; throws FieldError naming the field. */
export function parseImageCachesConfig(v: unknown, path: string): ImageCachesConfig {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new FieldError(path, 'must be a mapping: {enabled: true, maxCaches: N}');
  const o = v as Record<string, unknown>;
  for (const k of Object.keys(o)) if (k !== 'enabled' && k !== 'maxCaches') throw new FieldError(`${path}.${k}`, 'unknown key (known: enabled, maxCaches)');
  if (o.enabled !== undefined && typeof o.enabled !== 'boolean') throw new FieldError(`${path}.enabled`, 'must be true or false');
  const max = o.maxCaches ?? DEFAULT_MAX_CACHES;
  if (typeof max !== 'number' || !Number.isInteger(max) || max < 1 || max > 1000) throw new FieldError(`${path}.maxCaches`, 'must be a whole number of caches from 1 to 1000');
  return { enabled: o.enabled ?? true, maxCaches: max };
}

/** A cache as the keeper knows it. */
export interface KnownCache {
  id: string;
  images: string[];
  /** Failed caches are not counted as covering (a new one is made) and are deleted when found. */
  failed?: boolean;
}

/** The ECI calls the keeper makes for one tenant (image-cache-api.ts). */
export interface ImageCacheApi {
  /** This tenant's caches (by its tag). */
  list(): Promise<KnownCache[]>;
  create(name: string, images: string[]): Promise<string>;
  delete(id: string): Promise<void>;
}

/** The images of a pod (init containers too), each once, sorted: the set one cache holds. */
export function podImages(pod: V1Pod): string[] {
  const all = [...(pod.spec?.initContainers ?? []), ...(pod.spec?.containers ?? [])].map((c) => c.image).filter((i): i is string => !!i);
  return [...new Set(all)].sort();
}

/** ECI's ImageCacheName for an image set: the tenant and a digest of the set (lowercase, digits and hyphens). */
export function cacheName(tenantId: string, images: string[]): string {
  const digest = createHash('sha256').update(images.join('\n')).digest('hex').slice(0, 12);
  const t = tenantId.toLowerCase().replace(/[^a-z0-9-]/g, '-').slice(0, 100);
  return `ecigw-${t}-${digest}`;
}

/** How often a keeper reads the tenant's caches from ECI again (on its next use). */
const REFRESH_MS = 5 * 60_000;

/**
 * One tenant's caches: `use(images)` marks the set used now; if no cache holds all of it, one is created (once,
 * however many pods of the set burst together) and the least recently used beyond `maxCaches` are deleted.
 */
export class ImageCacheKeeper {
  private readonly caches = new Map<string, KnownCache & { lastUsedMs: number }>();
  private readonly creating = new Map<string, Promise<void>>();
  private loaded?: Promise<void>;
  private loadedAt = -Infinity;

  constructor(
    private readonly api: ImageCacheApi,
    private readonly o: { tenantId: string; maxCaches: () => number; now: () => number; log?: Logger },
  ) {}

  /** The caches kept, least recently used first. */
  get kept(): { id: string; images: string[] }[] {
    return [...this.caches.values()].sort((a, b) => a.lastUsedMs - b.lastUsedMs).map(({ id, images }) => ({ id, images }));
  }

  async use(images: string[]): Promise<void> {
    if (images.length === 0) return;
    // ECI's view is read again now and then, so a cache that failed after it was made is replaced.
    if (this.o.now() - this.loadedAt >= REFRESH_MS) this.loaded = undefined;
    await (this.loaded ??= this.load());
    const covering = [...this.caches.values()].find((c) => !c.failed && images.every((i) => c.images.includes(i)));
    if (covering) {
      covering.lastUsedMs = this.o.now();
      return;
    }
    const key = images.join('\n');
    let p = this.creating.get(key);
    if (!p) {
      p = this.create(images).finally(() => this.creating.delete(key));
      this.creating.set(key, p);
    }
    await p;
  }

  private async load(): Promise<void> {
    this.loadedAt = this.o.now();
    try {
      const found = await this.api.list();
      // Adopted caches count as used long ago, in listing order: they go first when the budget is short. Known
      // ones keep their use; one made meanwhile and not yet listed stays known.
      found.forEach((c, i) => this.caches.set(c.id, { ...c, lastUsedMs: this.caches.get(c.id)?.lastUsedMs ?? -found.length + i }));
      for (const c of found.filter((x) => x.failed)) await this.remove(c.id, 'failed');
    } catch (e) {
      this.loaded = undefined; // listed again on the next use
      this.loadedAt = -Infinity;
      throw e;
    }
  }

  private async create(images: string[]): Promise<void> {
    const id = await this.api.create(cacheName(this.o.tenantId, images), images);
    this.caches.set(id, { id, images, lastUsedMs: this.o.now() });
    this.o.log?.info({ tenant: this.o.tenantId, imageCache: id, images }, 'image cache created');
    const over = [...this.caches.values()].sort((a, b) => a.lastUsedMs - b.lastUsedMs).slice(0, Math.max(0, this.caches.size - this.o.maxCaches()));
    for (const c of over) if (c.id !== id) await this.remove(c.id, 'least recently used beyond the budget');
  }

  private async remove(id: string, why: string): Promise<void> {
    this.caches.delete(id);
    await this.api.delete(id);
    this.o.log?.info({ tenant: this.o.tenantId, imageCache: id, why }, 'image cache deleted');
  }
}

/** The create request with AutoMatchImageCache when the tenant keeps caches and the pod neither pins a cache nor opts out. */
export function withAutoMatch(scope: TenantScope, request: $Eci.CreateContainerGroupRequest): void {
  if (scope.tenant.imageCaches?.enabled && request.autoMatchImageCache === undefined && !request.imageSnapshotId) request.autoMatchImageCache = true;
}

/** The provider's side: one keeper per tenant (its caches are its account's, across its clusters). */
export class TenantImageCaches {
  private readonly keepers = new Map<string, ImageCacheKeeper>();
  /** Each tenant's newest settings (a reloaded config changes the budget from the next create on). */
  private readonly scopes = new Map<string, TenantScope>();

  constructor(private readonly o: { apiFor: (scope: TenantScope) => ImageCacheApi; now?: () => number; log: Logger }) {}

  /** After an apply that created or changed a group: the pod's image set is used now (in the background; failures are logged). */
  applied(scope: TenantScope, intent: PodIntent, result: ApplyResult): void {
    const cfg = scope.tenant.imageCaches;
    if (!cfg?.enabled || !result.changed || !result.providerId) return;
    let images: string[];
    try {
      images = podImages(JSON.parse(intent.podJson.toString('utf8')) as V1Pod);
    } catch {
      return; // the apply itself validated the pod; nothing to cache
    }
    this.keeper(scope).use(images).catch((e: unknown) => this.o.log.warn({ tenant: scope.tenantId, images, err: String(e) }, 'image cache not kept'));
  }

  keeper(scope: TenantScope): ImageCacheKeeper {
    this.scopes.set(scope.tenantId, scope);
    let k = this.keepers.get(scope.tenantId);
    if (!k) {
      k = new ImageCacheKeeper(this.o.apiFor(scope), {
        tenantId: scope.tenantId,
        maxCaches: () => this.scopes.get(scope.tenantId)?.tenant.imageCaches?.maxCaches ?? DEFAULT_MAX_CACHES,
        now: this.o.now ?? Date.now,
        log: this.o.log,
      });
      this.keepers.set(scope.tenantId, k);
    }
    return k;
  }
}
