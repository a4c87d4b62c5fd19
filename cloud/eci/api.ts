// The seam between ECI users (provider, sessions) and the machinery that calls ECI well for one tenant:
// rate limiting per action, retries with back-off for throttling and 5xx, timeouts, metrics.
import type { EciClient } from './sdk.js';
import type { $Util } from './sdk.js';

/** ECI OpenAPI action names, as used for rate limits, metrics and logs. */
export type EciAction =
  | 'CreateContainerGroup'
  | 'DeleteContainerGroup'
  | 'UpdateContainerGroup'
  | 'RestartContainerGroup'
  | 'DescribeContainerGroups'
  | 'DescribeContainerGroupStatus'
  | 'DescribeContainerGroupEvents'
  | 'DescribeContainerLog'
  | 'ExecContainerCommand'
  | 'DescribeContainerGroupMetric'
  | 'DescribeMultiContainerGroupMetric'
  | 'DescribeContainerGroupPrice'
  | 'CreateImageCache'
  | 'DescribeImageCaches'
  | 'DeleteImageCache';

export interface EciCaller {
  readonly regionId: string;
  /**
   * Runs `fn` against the tenant's SDK client under the action's rate limit, with the caller's retry
   * policy (`retry: false` for calls that must not be repeated blindly). Rejects with the SDK's error
   * (err.code / err.statusCode) once retries are exhausted or the error is permanent.
   */
  call<T>(action: EciAction, fn: (client: EciClient, runtime: $Util.RuntimeOptions) => Promise<T>, opts?: { retry?: boolean; signal?: AbortSignal }): Promise<T>;
}
