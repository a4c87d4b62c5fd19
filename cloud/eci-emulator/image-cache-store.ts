// The emulator's image caches: CreateImageCache (idempotent by ClientToken), DescribeImageCaches (filters, paging)
// and DeleteImageCache, with a cache's status (Preparing until its preparation time has passed, then Ready, or Failed),
// events and progress derived from the injected clock, so nothing runs on timers. On a new group it picks the cache
// the group matches (image-cache.ts), records the group's pull time and raises ECI's cache-hit event.
import { randomBytes } from 'node:crypto';
import type { Clock } from '../../common/clock.js';
import { hasTags, pageNewestFirst } from './listing.js';
import { EciError, invalidParameter, missingParameter } from './errors.js';
import { DEFAULT_IMAGE_CACHE, matchCache, mergeImageCacheSettings, pullPlan, type ImageCacheSettings } from './image-cache.js';
import { isoNow, type GroupRecord } from './model.js';
import { num, str, tags, type Params } from './validate.js';

type ImageCacheStatus = 'Preparing' | 'Ready' | 'Failed';

interface ImageCache {
  id: string;
  snapshotId: string;
  regionId: string;
  name: string;
  images: string[];
  sizeGiB: number;
  retentionDays?: number;
  eliminationStrategy?: string;
  resourceGroupId?: string;
  tags: { key: string; value: string }[];
  /** The temporary group ECI builds the cache in (not listed among the account's groups here). */
  containerGroupId: string;
  createdAtMs: number;
  /** Ready (or Failed) from then on; fixed at creation from the settings of that moment. */
  doneAtMs: number;
  fails: boolean;
  lastMatchedMs?: number;
  seq: number;
}

const ID_ALPHABET = 'abcdefghijklmnopqrstuvwxyz0123456789';
const randomId = (prefix: string): string => prefix + [...randomBytes(20)].map((b) => ID_ALPHABET[b % ID_ALPHABET.length]).join('');
/** ECI names a cache 2..128 characters, starting with a letter or digit (its docs); the emulator checks this shape. */
const CACHE_NAME = /^[a-z0-9][a-z0-9-]{1,127}$/;
const MAX_IMAGES = 20;
const MAX_PAGE = 100;

/** ECI's event on a group that an image cache serves (wording: choice, after ECI's console events). */
export const CACHE_HIT_REASON = 'SuccessfulHitImageCache';

export class ImageCacheStore {
  private readonly caches = new Map<string, ImageCache>();
  private readonly tokens = new Map<string, { fingerprint: string; id: string }>();
  private seq = 0;
  settings: ImageCacheSettings = structuredClone(DEFAULT_IMAGE_CACHE);

  constructor(private readonly clock: Clock) {}

  /** Applies a partial settings object (validated; throws ConfigError naming the field). */
  configure(partial: unknown): ImageCacheSettings {
    this.settings = mergeImageCacheSettings(this.settings, partial);
    return this.settings;
  }

  status(c: ImageCache): ImageCacheStatus {
    if (this.clock.now() < c.doneAtMs) return 'Preparing';
    return c.fails ? 'Failed' : 'Ready';
  }

  create(p: Params, regionId: string, fingerprint: string): { ImageCacheId: string; ContainerGroupId: string } {
    const name = str(p, 'ImageCacheName', { required: true, max: 128 })!;
    if (!CACHE_NAME.test(name)) throw invalidParameter('ImageCacheName', 'lowercase letters, digits and hyphens, 2..128 characters, starting with a letter or digit');
    const raw = p.Image;
    if (raw === undefined) throw missingParameter('Image.1');
    if (!Array.isArray(raw) || raw.length === 0 || raw.length > MAX_IMAGES || !raw.every((i): i is string => typeof i === 'string' && i.length > 0))
      throw invalidParameter('Image', `1..${MAX_IMAGES} image references as Image.N`);
    const token = str(p, 'ClientToken', { max: 64 });
    const key = token && `${regionId}/${token}`;
    const prior = key ? this.tokens.get(key) : undefined;
    if (prior) {
      if (prior.fingerprint !== fingerprint) throw new EciError(400, 'IdempotentParameterMismatch', 'The request uses the same client token as a previous, but non-identical request.');
      const c = this.caches.get(prior.id);
      if (c) return { ImageCacheId: c.id, ContainerGroupId: c.containerGroupId };
    }
    const now = this.clock.now();
    const images = [...new Set(raw)];
    const c: ImageCache = {
      id: randomId('imc-'),
      snapshotId: randomId('s-'),
      regionId,
      name,
      images,
      sizeGiB: num(p, 'ImageCacheSize', { min: 20, max: 2000, integer: true }) ?? 20,
      retentionDays: num(p, 'RetentionDays', { min: 1, max: 65536, integer: true }),
      eliminationStrategy: str(p, 'EliminationStrategy', { oneOf: ['LRU'] }),
      resourceGroupId: str(p, 'ResourceGroupId'),
      tags: tags(p),
      containerGroupId: randomId('eci-'),
      createdAtMs: now,
      doneAtMs: now + this.settings.preparationMs,
      fails: images.some((i) => this.settings.failingImages.includes(i)),
      seq: ++this.seq,
    };
    this.caches.set(c.id, c);
    if (key) this.tokens.set(key, { fingerprint, id: c.id });
    return { ImageCacheId: c.id, ContainerGroupId: c.containerGroupId };
  }

  delete(regionId: string, id: string): void {
    const c = this.caches.get(id);
    if (!c || c.regionId !== regionId) throw new EciError(404, 'InvalidImageCacheId.NotFound', `The specified image cache "${id}" does not exist.`);
    this.caches.delete(id);
  }

  /** DescribeImageCaches: filters, newest first, paged by an opaque token. */
  describe(p: Params, regionId: string): Record<string, unknown> {
    const id = str(p, 'ImageCacheId');
    const name = str(p, 'ImageCacheName');
    const image = str(p, 'Image');
    const snapshotId = str(p, 'SnapshotId');
    const tagFilter = tags(p);
    const limit = num(p, 'Limit', { min: 1, max: MAX_PAGE, integer: true }) ?? MAX_PAGE;
    const ids = id ? new Set(id.split(',').map((s) => s.trim())) : undefined;
    const matches = [...this.caches.values()].filter(
      (c) => c.regionId === regionId && (!ids || ids.has(c.id)) && (!name || c.name === name) && (!image || c.images.includes(image)) && (!snapshotId || c.snapshotId === snapshotId) && hasTags(c.tags, tagFilter),
    );
    const page = pageNewestFirst(matches, limit, str(p, 'NextToken'));
    return { TotalCount: page.total, NextToken: page.nextToken, ImageCaches: page.items.map((c) => this.render(c)) };
  }

  /**
   * A new group: the cache it matches (AutoMatchImageCache, or the one ImageSnapshotId names), its pull time and the
   * cache-hit event. Returns the ms container start waits (0 while the pull model is off).
   */
  onGroupCreated(g: GroupRecord, event: (groupId: string, type: 'Normal' | 'Warning', reason: string, message: string) => void): number {
    const images = [...g.spec.initContainers, ...g.spec.containers].map((c) => c.image);
    const region = [...this.caches.values()].filter((c) => c.regionId === g.spec.regionId);
    const ready = region.map((c) => ({ c, id: c.id, snapshotId: c.snapshotId, images: c.images, createdAtMs: c.createdAtMs, ready: this.status(c) === 'Ready' }));
    const hit = matchCache(ready, images, { autoMatch: g.spec.autoMatchImageCache === true, imageSnapshotId: g.spec.imageSnapshotId })?.c;
    const plan = pullPlan(this.settings, images, hit);
    const ms = this.settings.pullModel ? plan.totalMs : 0;
    g.imagePull = { ms, imageCacheId: hit?.id };
    if (hit) {
      hit.lastMatchedMs = this.clock.now();
      event(g.id, 'Normal', CACHE_HIT_REASON, `Successfully hit image cache ${hit.id}, eci will be scheduled with this image cache.`);
    } else if (g.spec.imageSnapshotId) {
      event(g.id, 'Warning', 'ImageCacheNotReady', `Image cache ${g.spec.imageSnapshotId} is not Ready (or does not exist); the images are pulled.`);
    }
    return ms;
  }

  get size(): number {
    return this.caches.size;
  }

  private render(c: ImageCache): Record<string, unknown> {
    const status = this.status(c);
    const now = this.clock.now();
    const created = isoNow(c.createdAtMs);
    const done = isoNow(c.doneAtMs);
    const span = Math.max(1, c.doneAtMs - c.createdAtMs);
    const ev = (type: string, reason: string, message: string, at: string) => ({ Type: type, Reason: reason, Message: message, Name: c.id, Count: 1, FirstTimestamp: at, LastTimestamp: at });
    const events = c.images.map((i) => ev('Normal', 'Pulling', `Pulling image "${i}"`, created));
    if (status === 'Ready') events.push(...c.images.map((i) => ev('Normal', 'Pulled', `Successfully pulled image "${i}"`, done)), ev('Normal', 'ImageCacheReady', `Image cache ${c.id} is ready`, done));
    if (status === 'Failed') events.push(ev('Warning', 'Failed', `Failed to pull image "${c.images.find((i) => this.settings.failingImages.includes(i)) ?? c.images[0]}"`, done));
    return {
      ImageCacheId: c.id,
      ImageCacheName: c.name,
      RegionId: c.regionId,
      Status: status,
      Progress: status === 'Preparing' ? `${Math.floor((100 * (now - c.createdAtMs)) / span)}%` : '100%',
      Images: c.images,
      ImageCacheSize: c.sizeGiB,
      SnapshotId: c.snapshotId,
      ContainerGroupId: c.containerGroupId,
      CreationTime: created,
      ExpireDateTime: c.retentionDays ? isoNow(c.createdAtMs + c.retentionDays * 86_400_000) : '',
      LastMatchedTime: c.lastMatchedMs ? isoNow(c.lastMatchedMs) : '',
      EliminationStrategy: c.eliminationStrategy ?? '',
      ResourceGroupId: c.resourceGroupId ?? '',
      Tags: c.tags.map((t) => ({ Key: t.key, Value: t.value })),
      Events: events,
    };
  }
}

