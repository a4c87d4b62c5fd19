// Original file: proto/ecigw/tunnel/v1/tunnel.proto

import type { PodEvent as _ecigw_tunnel_v1_PodEvent, PodEvent__Output as _ecigw_tunnel_v1_PodEvent__Output } from '../../../ecigw/tunnel/v1/PodEvent.js';
import type { Long } from '@grpc/proto-loader';

/**
 * Cloud-side state of one pod.
 */
export interface PodState {
  'uid'?: (string);
  'namespace'?: (string);
  'name'?: (string);
  /**
   * last applied generation
   */
  'generation'?: (number | string | Long);
  'providerId'?: (string);
  /**
   * per-pod, monotonically increasing; apply idempotently by (uid, status_version)
   */
  'statusVersion'?: (number | string | Long);
  /**
   * core/v1 PodStatus
   */
  'statusJson'?: (Buffer | Uint8Array | string);
  'events'?: (_ecigw_tunnel_v1_PodEvent)[];
  /**
   * the pod no longer exists (delete confirmed)
   */
  'gone'?: (boolean);
}

/**
 * Cloud-side state of one pod.
 */
export interface PodState__Output {
  'uid': (string);
  'namespace': (string);
  'name': (string);
  /**
   * last applied generation
   */
  'generation': (number);
  'providerId': (string);
  /**
   * per-pod, monotonically increasing; apply idempotently by (uid, status_version)
   */
  'statusVersion': (number);
  /**
   * core/v1 PodStatus
   */
  'statusJson': (Buffer);
  'events': (_ecigw_tunnel_v1_PodEvent__Output)[];
  /**
   * the pod no longer exists (delete confirmed)
   */
  'gone': (boolean);
}
