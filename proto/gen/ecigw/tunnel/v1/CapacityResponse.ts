// Original file: proto/ecigw/tunnel/v1/tunnel.proto

import type { Cap as _ecigw_tunnel_v1_Cap, Cap__Output as _ecigw_tunnel_v1_Cap__Output } from '../../../ecigw/tunnel/v1/Cap.js';

export interface CapacityResponse {
  /**
   * none = nothing capped
   */
  'caps'?: (_ecigw_tunnel_v1_Cap)[];
}

export interface CapacityResponse__Output {
  /**
   * none = nothing capped
   */
  'caps': (_ecigw_tunnel_v1_Cap__Output)[];
}
