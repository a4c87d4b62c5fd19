// ECI's published API rate limits (the product's "limits" page, per account): the one place these figures are
// written. The ECI emulator throttles with exactly these by default (cloud/eci-emulator/config.ts); the relay's
// client-side defaults are derived from them with headroom (rate-limit.ts).
import type { EciAction } from './api.js';

/** One ECI quota: a token bucket (`burst` at once, refilled at `perSecond`), or "N requests per 60 s". */
export type PublishedLimit =
  | { readonly actions: readonly EciAction[]; readonly burst: number; readonly perSecond: number }
  | { readonly actions: readonly EciAction[]; readonly perMinute: number };

/** By quota name; `actions` draw from that one quota (CreateContainerGroup and DeleteContainerGroup share one). */
export const ECI_PUBLISHED_LIMITS = {
  CreateDeleteContainerGroup: { actions: ['CreateContainerGroup', 'DeleteContainerGroup'], burst: 100, perSecond: 20 },
  ExecContainerCommand: { actions: ['ExecContainerCommand'], perMinute: 500 },
  DescribeContainerLog: { actions: ['DescribeContainerLog'], perMinute: 500 },
  CreateImageCache: { actions: ['CreateImageCache'], perMinute: 200 },
  DescribeContainerGroupPrice: { actions: ['DescribeContainerGroupPrice'], perMinute: 1000 },
} as const satisfies Record<string, PublishedLimit>;
