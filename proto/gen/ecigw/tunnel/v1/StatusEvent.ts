// Original file: proto/ecigw/tunnel/v1/tunnel.proto

import type { PodState as _ecigw_tunnel_v1_PodState, PodState__Output as _ecigw_tunnel_v1_PodState__Output } from '../../../ecigw/tunnel/v1/PodState.js';
import type { Bookmark as _ecigw_tunnel_v1_Bookmark, Bookmark__Output as _ecigw_tunnel_v1_Bookmark__Output } from '../../../ecigw/tunnel/v1/Bookmark.js';
import type { SnapshotMarker as _ecigw_tunnel_v1_SnapshotMarker, SnapshotMarker__Output as _ecigw_tunnel_v1_SnapshotMarker__Output } from '../../../ecigw/tunnel/v1/SnapshotMarker.js';
import type { Long } from '@grpc/proto-loader';

/**
 * One watch event; (epoch, seq) is the resume point after it is applied.
 */
export interface StatusEvent {
  'epoch'?: (string);
  'seq'?: (number | string | Long);
  /**
   * a delta, or a snapshot member between begin and end
   */
  'pod'?: (_ecigw_tunnel_v1_PodState | null);
  'bookmark'?: (_ecigw_tunnel_v1_Bookmark | null);
  /**
   * pods until snapshot_end are the complete state
   */
  'snapshotBegin'?: (_ecigw_tunnel_v1_SnapshotMarker | null);
  'snapshotEnd'?: (_ecigw_tunnel_v1_SnapshotMarker | null);
  'event'?: "pod"|"bookmark"|"snapshotBegin"|"snapshotEnd";
}

/**
 * One watch event; (epoch, seq) is the resume point after it is applied.
 */
export interface StatusEvent__Output {
  'epoch': (string);
  'seq': (number);
  /**
   * a delta, or a snapshot member between begin and end
   */
  'pod'?: (_ecigw_tunnel_v1_PodState__Output | null);
  'bookmark'?: (_ecigw_tunnel_v1_Bookmark__Output | null);
  /**
   * pods until snapshot_end are the complete state
   */
  'snapshotBegin'?: (_ecigw_tunnel_v1_SnapshotMarker__Output | null);
  'snapshotEnd'?: (_ecigw_tunnel_v1_SnapshotMarker__Output | null);
  'event'?: "pod"|"bookmark"|"snapshotBegin"|"snapshotEnd";
}
