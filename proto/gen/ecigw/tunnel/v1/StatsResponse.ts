// Original file: proto/ecigw/tunnel/v1/tunnel.proto

import type { PodStats as _ecigw_tunnel_v1_PodStats, PodStats__Output as _ecigw_tunnel_v1_PodStats__Output } from '../../../ecigw/tunnel/v1/PodStats.js';

export interface StatsResponse {
  'pods'?: (_ecigw_tunnel_v1_PodStats)[];
}

export interface StatsResponse__Output {
  'pods': (_ecigw_tunnel_v1_PodStats__Output)[];
}
