// Original file: proto/ecigw/tunnel/v1/tunnel.proto

import type { PodState as _ecigw_tunnel_v1_PodState, PodState__Output as _ecigw_tunnel_v1_PodState__Output } from '../../../ecigw/tunnel/v1/PodState.js';

export interface ListPodsResponse {
  'pods'?: (_ecigw_tunnel_v1_PodState)[];
}

export interface ListPodsResponse__Output {
  'pods': (_ecigw_tunnel_v1_PodState__Output)[];
}
