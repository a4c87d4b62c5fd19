// Spot reclaim: the emulator releasing preemptible (spot) container groups as ECI does. A reclaimed group gets a
// SpotToBeReleased Warning event, keeps running for the notice period, then ends Expired (controller.expire).
// Reclaims happen on demand (admin: named groups, or N spot groups at random) and at a rate per minute (random spot
// groups past their protection period). Only groups created with a SpotStrategy other than NoSpot are reclaimed.
// The choices (eligibility, protection, how many per tick, which) are pure; the clock and the random source are
// injected so tests drive them. Settings live here (admin API), not in config.ts.
import type { Clock } from '../../common/clock.js';
import { SPOT_TO_BE_RELEASED } from '../eci/mapping/spot.js';
import { ConfigError, isPlain } from './config.js';
import { isoNow, type GroupRecord, type GroupStatus } from './model.js';

export interface SpotReclaimSettings {
  /** Spot groups reclaimed per minute at random, across the emulator (0 = never; the default). */
  ratePerMinute: number;
  /** From the SpotToBeReleased event to status Expired. ECI documents about 3 minutes (newer ACK docs: about 5). */
  noticeMs: number;
  /** Random reclaims spare a group within its protection period (SpotDuration hours after creation; 1 by default, 0 = none), as ECI does. */
  honourProtection: boolean;
}

export const DEFAULT_SPOT_RECLAIM: SpotReclaimSettings = { ratePerMinute: 0, noticeMs: 180_000, honourProtection: true };

/** How often the rate is applied while it is above 0. */
const RATE_TICK_MS = 1000;
const HOUR_MS = 3_600_000;
/** Statuses in which a spot group holds an instance ECI could release. */
const HOLDS_INSTANCE: ReadonlySet<GroupStatus> = new Set(['Pending', 'Running', 'Restarting', 'Updating']);

/** A reclaim request the emulator refuses, with the HTTP status the admin API answers. */
export class SpotReclaimError extends Error {
  constructor(
    readonly httpStatus: number,
    message: string,
  ) {
    super(message);
    this.name = 'SpotReclaimError';
  }
}

/** What an on-demand reclaim asks for: named groups (by id or name), or `count` spot groups picked at random. */
export interface ReclaimRequest {
  ids?: string[];
  names?: string[];
  count?: number;
  /** Overrides the notice period for these groups (0 = released at once, after the event). */
  noticeMs?: number;
}

export interface ReclaimedGroup {
  id: string;
  name: string;
  /** When the group is (or was) released: status Expired. */
  releaseAt: string;
}

/** The admin API's JSON body as a ReclaimRequest; throws SpotReclaimError (400) naming what is wrong. */
export function parseReclaimRequest(body: unknown): ReclaimRequest {
  if (!isPlain(body)) throw new SpotReclaimError(400, 'expected a JSON object: {"ids":[...]}, {"names":[...]} or {"count":N}, optionally with "noticeMs"');
  const b = body;
  const strings = (k: string): string[] | undefined => {
    const v = b[k];
    if (v === undefined) return undefined;
    if (!Array.isArray(v) || !v.every((x) => typeof x === 'string' && x !== '')) throw new SpotReclaimError(400, `${k} must be a list of non-empty strings`);
    return v as string[];
  };
  const num = (k: string): number | undefined => {
    const v = b[k];
    if (v === undefined) return undefined;
    if (typeof v !== 'number') throw new SpotReclaimError(400, `${k} must be a number`);
    return v;
  };
  const unknown = Object.keys(b).filter((k) => !['ids', 'names', 'count', 'noticeMs'].includes(k));
  if (unknown.length > 0) throw new SpotReclaimError(400, `unknown field ${unknown.join(', ')} (known: ids, names, count, noticeMs)`);
  return { ids: strings('ids'), names: strings('names'), count: num('count'), noticeMs: num('noticeMs') };
}

const isSpotGroup = (g: GroupRecord): boolean => g.spec.spotStrategy !== 'NoSpot';

/** End of the protection period: SpotDuration hours (default 1, 0 = none) after creation. */
export function protectionEndsMs(g: GroupRecord): number {
  return Date.parse(g.creationTime) + (g.spec.spotDuration ?? 1) * HOUR_MS;
}

/** Whether ECI could release this group now: a spot group holding an instance, not yet noticed, past protection if honoured. */
export function reclaimable(g: GroupRecord, nowMs: number, honourProtection: boolean): boolean {
  if (!isSpotGroup(g) || g.deleting || g.spotReleaseAtMs !== undefined || !HOLDS_INSTANCE.has(g.status)) return false;
  return !honourProtection || nowMs >= protectionEndsMs(g);
}

/**
 * Reclaims due in `elapsedMs` at `ratePerMinute`: the whole expected number, plus one more with the probability of
 * the fraction left, so the mean is exactly the rate whatever the tick length.
 */
export function reclaimsDue(ratePerMinute: number, elapsedMs: number, random: () => number): number {
  if (!(ratePerMinute > 0) || !(elapsedMs > 0)) return 0;
  const expected = (ratePerMinute * elapsedMs) / 60_000;
  const whole = Math.floor(expected);
  return whole + (random() < expected - whole ? 1 : 0);
}

/** `n` distinct items picked uniformly at random (partial Fisher-Yates); all of them when there are fewer. */
export function pickRandom<T>(items: readonly T[], n: number, random: () => number): T[] {
  const a = [...items];
  const k = Math.min(n, a.length);
  for (let i = 0; i < k; i++) {
    const j = i + Math.floor(random() * (a.length - i));
    [a[i], a[j]] = [a[j], a[i]];
  }
  return a.slice(0, k);
}

/** Validates a partial settings object over `base`; throws ConfigError naming the field. */
export function mergeSpotSettings(base: SpotReclaimSettings, partial: unknown): SpotReclaimSettings {
  if (!isPlain(partial)) throw new ConfigError('spotReclaim', 'expected an object');
  const p = partial;
  const out = { ...base };
  for (const [k, v] of Object.entries(p)) {
    const field = `spotReclaim.${k}`;
    if (k === 'ratePerMinute') {
      if (typeof v !== 'number' || !Number.isFinite(v) || v < 0 || v > 10_000) throw new ConfigError(field, 'expected a number of reclaims per minute, 0..10000');
      out.ratePerMinute = v;
    } else if (k === 'noticeMs') {
      if (typeof v !== 'number' || !Number.isInteger(v) || v < 0 || v > HOUR_MS) throw new ConfigError(field, 'expected whole milliseconds, 0..3600000');
      out.noticeMs = v;
    } else if (k === 'honourProtection') {
      if (typeof v !== 'boolean') throw new ConfigError(field, 'expected true or false');
      out.honourProtection = v;
    } else {
      throw new ConfigError(field, 'unknown field (known: ratePerMinute, noticeMs, honourProtection)');
    }
  }
  return out;
}

/** What the reclaimer needs of the state machine. */
export interface SpotHost {
  all(): GroupRecord[];
  find(id: string): GroupRecord | undefined;
  event(groupId: string, type: 'Normal' | 'Warning', reason: string, message: string): void;
  expire(g: GroupRecord): void;
}

export class SpotReclaimer {
  private settingsNow = DEFAULT_SPOT_RECLAIM;
  private readonly pending = new Map<string, unknown>();
  private rateTimer?: unknown;
  private lastTickMs = 0;
  private reclaimedTotal = 0;

  constructor(
    private readonly host: SpotHost,
    private readonly clock: Clock,
    private readonly random: () => number = Math.random,
  ) {}

  get settings(): SpotReclaimSettings {
    return this.settingsNow;
  }

  /** Applies partial settings (validated); starts or stops the random reclaims as the rate says. */
  configure(partial: unknown): SpotReclaimSettings {
    this.settingsNow = mergeSpotSettings(this.settingsNow, partial);
    if (this.settingsNow.ratePerMinute > 0 && this.rateTimer === undefined) {
      this.lastTickMs = this.clock.now();
      this.scheduleTick();
    } else if (this.settingsNow.ratePerMinute === 0 && this.rateTimer !== undefined) {
      this.clock.clearTimeout(this.rateTimer);
      this.rateTimer = undefined;
    }
    return this.settingsNow;
  }

  /** Reclaims named groups (protection does not apply: the operator decides) or `count` random reclaimable ones. */
  reclaim(req: ReclaimRequest): ReclaimedGroup[] {
    const noticeMs = req.noticeMs ?? this.settingsNow.noticeMs;
    if (!Number.isInteger(noticeMs) || noticeMs < 0 || noticeMs > HOUR_MS) throw new SpotReclaimError(400, 'noticeMs must be whole milliseconds, 0..3600000');
    const named = [...(req.ids ?? []), ...(req.names ?? [])];
    if (req.count !== undefined) {
      if (named.length > 0) throw new SpotReclaimError(400, 'give either count or ids/names, not both');
      if (!Number.isInteger(req.count) || req.count < 1 || req.count > 10_000) throw new SpotReclaimError(400, 'count must be a whole number 1..10000');
      const now = this.clock.now();
      const candidates = this.host.all().filter((g) => reclaimable(g, now, false));
      return pickRandom(candidates, req.count, this.random).map((g) => this.notice(g, noticeMs));
    }
    if (named.length === 0) throw new SpotReclaimError(400, 'name the groups to reclaim (ids or names) or give a count');
    const groups = [...(req.ids ?? []).map((id) => this.byId(id)), ...(req.names ?? []).map((n) => this.byName(n))];
    for (const g of groups) {
      if (!isSpotGroup(g)) throw new SpotReclaimError(409, `container group ${g.id} (${g.spec.name}) was created without a SpotStrategy: only spot groups are reclaimed`);
      if (g.spotReleaseAtMs === undefined && !HOLDS_INSTANCE.has(g.status)) throw new SpotReclaimError(409, `container group ${g.id} (${g.spec.name}) is ${g.status}: it holds no instance to reclaim`);
    }
    // Already noticed: answered with the release time it has (reclaiming is idempotent).
    return groups.map((g) => (g.spotReleaseAtMs === undefined ? this.notice(g, noticeMs) : this.describe(g)));
  }

  /** Settings, groups under notice and how many were released. */
  status(): { settings: SpotReclaimSettings; pending: ReclaimedGroup[]; reclaimedTotal: number } {
    const pending = [...this.pending.keys()].map((id) => this.host.find(id)).filter((g): g is GroupRecord => g !== undefined);
    return { settings: this.settingsNow, pending: pending.map((g) => this.describe(g)), reclaimedTotal: this.reclaimedTotal };
  }

  /** One application of the rate: reclaims what is due since the last tick among the reclaimable groups. */
  tick(): ReclaimedGroup[] {
    const now = this.clock.now();
    const due = reclaimsDue(this.settingsNow.ratePerMinute, now - this.lastTickMs, this.random);
    this.lastTickMs = now;
    if (due === 0) return [];
    const candidates = this.host.all().filter((g) => reclaimable(g, now, this.settingsNow.honourProtection));
    return pickRandom(candidates, due, this.random).map((g) => this.notice(g, this.settingsNow.noticeMs));
  }

  /** A group is gone (deleted or swept): its pending release, if any, is dropped. */
  forget(id: string): void {
    const t = this.pending.get(id);
    if (t === undefined) return;
    this.clock.clearTimeout(t);
    this.pending.delete(id);
  }

  close(): void {
    if (this.rateTimer !== undefined) this.clock.clearTimeout(this.rateTimer);
    this.rateTimer = undefined;
    for (const t of this.pending.values()) this.clock.clearTimeout(t);
    this.pending.clear();
  }

  private scheduleTick(): void {
    this.rateTimer = this.clock.setTimeout(() => {
      this.rateTimer = undefined;
      if (this.settingsNow.ratePerMinute === 0) return;
      this.tick();
      this.scheduleTick();
    }, RATE_TICK_MS);
  }

  /** The SpotToBeReleased notice now, and the release after `noticeMs` (at once for 0). */
  private notice(g: GroupRecord, noticeMs: number): ReclaimedGroup {
    const releaseAtMs = this.clock.now() + noticeMs;
    g.spotReleaseAtMs = releaseAtMs;
    const when = noticeMs === 0 ? 'now' : `at ${isoNow(releaseAtMs)}`;
    this.host.event(g.id, 'Warning', SPOT_TO_BE_RELEASED, `Spot ECI instance ${g.id} will be released ${when}: the market price exceeds the bid or spot stock ran out.`);
    if (noticeMs === 0) this.release(g.id);
    else this.pending.set(g.id, this.clock.setTimeout(() => this.release(g.id), noticeMs));
    return this.describe(g);
  }

  private release(id: string): void {
    this.pending.delete(id);
    const g = this.host.find(id);
    if (!g) return; // deleted during its notice
    this.host.expire(g);
    if (g.status === 'Expired') this.reclaimedTotal++;
  }

  private describe(g: GroupRecord): ReclaimedGroup {
    return { id: g.id, name: g.spec.name, releaseAt: isoNow(g.spotReleaseAtMs ?? this.clock.now()) };
  }

  private byId(id: string): GroupRecord {
    const g = this.host.find(id);
    if (!g) throw new SpotReclaimError(404, `no container group ${id}`);
    return g;
  }

  private byName(name: string): GroupRecord {
    const all = this.host.all().filter((g) => !g.deleting && g.spec.name === name);
    if (all.length === 0) throw new SpotReclaimError(404, `no container group named ${name}`);
    // A name can stay on a finished group too (retention): the one that holds an instance is meant.
    const live = all.filter((g) => g.spotReleaseAtMs !== undefined || HOLDS_INSTANCE.has(g.status));
    const found = live.length > 0 ? live : all;
    if (found.length > 1) throw new SpotReclaimError(409, `${found.length} container groups are named ${name}; reclaim by id`);
    return found[0];
  }
}
