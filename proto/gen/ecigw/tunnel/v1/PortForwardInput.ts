// Original file: proto/ecigw/tunnel/v1/tunnel.proto

import type { PortForwardStart as _ecigw_tunnel_v1_PortForwardStart, PortForwardStart__Output as _ecigw_tunnel_v1_PortForwardStart__Output } from '../../../ecigw/tunnel/v1/PortForwardStart.js';
import type { EgressOpen as _ecigw_tunnel_v1_EgressOpen, EgressOpen__Output as _ecigw_tunnel_v1_EgressOpen__Output } from '../../../ecigw/tunnel/v1/EgressOpen.js';

/**
 * Agent -> relay on port-forward; close_write half-closes toward the pod.
 */
export interface PortForwardInput {
  'start'?: (_ecigw_tunnel_v1_PortForwardStart | null);
  'data'?: (Buffer | Uint8Array | string);
  'closeWrite'?: (boolean);
  /**
   * EgressConnection only, instead of start
   */
  'egressOpen'?: (_ecigw_tunnel_v1_EgressOpen | null);
  'msg'?: "start"|"data"|"closeWrite"|"egressOpen";
}

/**
 * Agent -> relay on port-forward; close_write half-closes toward the pod.
 */
export interface PortForwardInput__Output {
  'start'?: (_ecigw_tunnel_v1_PortForwardStart__Output | null);
  'data'?: (Buffer);
  'closeWrite'?: (boolean);
  /**
   * EgressConnection only, instead of start
   */
  'egressOpen'?: (_ecigw_tunnel_v1_EgressOpen__Output | null);
  'msg'?: "start"|"data"|"closeWrite"|"egressOpen";
}
