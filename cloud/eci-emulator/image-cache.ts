// Image pulls and image caches as a model: the settings (live, through the admin API; not in config.ts), which Ready
// cache a new group matches (AutoMatchImageCache: the most of its images, then the newest, as ECI ranks by match
// degree, then size, then creation time; or the one ImageSnapshotId names), and how long the group's images take to
// pull with or without it. Pure: the store (image-cache-store.ts) and the controller's pending phase apply it.
import { ConfigError, isPlain } from './config.js';

export interface ImageCacheSettings {
  /** Container start waits for the group's image pulls (both runtimes' pending phase). Off by default, so groups start as before. */
  pullModel: boolean;
  /** Pull time of an image no matched Ready cache holds (ECI: seconds to minutes, by image size and registry). */
  uncachedPullMs: number;
  /** Per image reference as the container names it (e.g. "nginx:1.25"), instead of uncachedPullMs. */
  pullMsByImage: Record<string, number>;
  /** Pull time of an image the matched Ready cache holds (ECI: the layers are already on the disk). */
  cachedPullMs: number;
  /** From CreateImageCache to Ready (ECI: minutes, a pull plus a snapshot). */
  preparationMs: number;
  /** Caches holding any of these images end Failed instead of Ready (to test failure handling). */
  failingImages: string[];
}

export const DEFAULT_IMAGE_CACHE: ImageCacheSettings = { pullModel: false, uncachedPullMs: 3000, pullMsByImage: {}, cachedPullMs: 50, preparationMs: 60_000, failingImages: [] };

const MAX_MS = 3_600_000;

/** Validates a partial settings object over `base`; throws ConfigError naming the field (`imageCache.<key>`). */
export function mergeImageCacheSettings(base: ImageCacheSettings, partial: unknown): ImageCacheSettings {
  if (!isPlain(partial)) throw new ConfigError('imageCache', 'expected an object');
  const out = { ...base, pullMsByImage: { ...base.pullMsByImage }, failingImages: [...base.failingImages] };
  const ms = (field: string, v: unknown): number => {
    if (typeof v !== 'number' || !Number.isFinite(v) || v < 0 || v > MAX_MS) throw new ConfigError(field, `expected milliseconds, 0..${MAX_MS}`);
    return v;
  };
  for (const [k, v] of Object.entries(partial)) {
    const field = `imageCache.${k}`;
    if (k === 'pullModel') {
      if (typeof v !== 'boolean') throw new ConfigError(field, 'expected a boolean');
      out.pullModel = v;
    } else if (k === 'uncachedPullMs' || k === 'cachedPullMs' || k === 'preparationMs') out[k] = ms(field, v);
    else if (k === 'pullMsByImage') {
      if (!isPlain(v)) throw new ConfigError(field, 'expected an object of image -> milliseconds');
      out.pullMsByImage = Object.fromEntries(Object.entries(v).map(([image, n]) => [image, ms(`${field}.${image}`, n)]));
    } else if (k === 'failingImages') {
      if (!Array.isArray(v) || !v.every((x) => typeof x === 'string' && x)) throw new ConfigError(field, 'expected a list of image references');
      out.failingImages = v as string[];
    } else throw new ConfigError(field, `unknown field (known: ${Object.keys(DEFAULT_IMAGE_CACHE).join(', ')})`);
  }
  return out;
}

/** `nginx` and `docker.io/library/nginx:latest` are one image: the registry's default host, library/ and tag are filled in. */
export function normalizeImage(image: string): string {
  let ref = image.trim();
  const at = ref.indexOf('@');
  const digest = at >= 0 ? ref.slice(at) : '';
  if (at >= 0) ref = ref.slice(0, at);
  const slash = ref.lastIndexOf('/');
  if (!digest && ref.lastIndexOf(':') <= slash) ref += ':latest';
  const first = ref.split('/')[0];
  const hasHost = ref.includes('/') && (first.includes('.') || first.includes(':') || first === 'localhost');
  if (!hasHost) ref = `docker.io/${ref.includes('/') ? '' : 'library/'}${ref}`;
  return ref + digest;
}

/** What the matching needs of a cache. */
export interface MatchableCache {
  id: string;
  snapshotId: string;
  images: string[];
  createdAtMs: number;
  ready: boolean;
}

/**
 * The cache a new group uses: the one `imageSnapshotId` names (by cache or snapshot id) if it is Ready; otherwise,
 * with auto-match, the Ready cache holding the most of the group's images (at least one), the newest on a tie.
 */
export function matchCache<C extends MatchableCache>(caches: Iterable<C>, images: string[], o: { autoMatch: boolean; imageSnapshotId?: string }): C | undefined {
  const all = [...caches];
  if (o.imageSnapshotId) return all.find((c) => c.ready && (c.id === o.imageSnapshotId || c.snapshotId === o.imageSnapshotId));
  if (!o.autoMatch) return undefined;
  const wanted = new Set(images.map(normalizeImage));
  let best: { c: C; n: number } | undefined;
  for (const c of all) {
    if (!c.ready) continue;
    const n = c.images.filter((i) => wanted.has(normalizeImage(i))).length;
    if (n === 0) continue;
    if (!best || n > best.n || (n === best.n && c.createdAtMs > best.c.createdAtMs)) best = { c, n };
  }
  return best?.c;
}

export interface PullPlan {
  /** The group's pull time: its distinct images one after another (kubelet pulls serially by default). */
  totalMs: number;
  images: { image: string; ms: number; cached: boolean }[];
}

/** How long the group's images take with `cache` matched (or none). */
export function pullPlan(s: ImageCacheSettings, images: string[], cache?: { images: string[] }): PullPlan {
  const cached = new Set((cache?.images ?? []).map(normalizeImage));
  const seen = new Set<string>();
  const out: PullPlan['images'] = [];
  for (const image of images) {
    const key = normalizeImage(image);
    if (seen.has(key)) continue;
    seen.add(key);
    const hit = cached.has(key);
    out.push({ image, cached: hit, ms: hit ? s.cachedPullMs : (s.pullMsByImage[image] ?? s.uncachedPullMs) });
  }
  return { totalMs: out.reduce((a, b) => a + b.ms, 0), images: out };
}
