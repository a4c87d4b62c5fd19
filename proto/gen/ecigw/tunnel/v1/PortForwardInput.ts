// Original file: proto/ecigw/tunnel/v1/tunnel.proto

import type { PortForwardStart as _ecigw_tunnel_v1_PortForwardStart, PortForwardStart__Output as _ecigw_tunnel_v1_PortForwardStart__Output } from '../../../ecigw/tunnel/v1/PortForwardStart.js';

/**
 * Agent -> relay on port-forward; close_write half-closes toward the pod.
 */
export interface PortForwardInput {
  'start'?: (_ecigw_tunnel_v1_PortForwardStart | null);
  'data'?: (Buffer | Uint8Array | string);
  'closeWrite'?: (boolean);
  'msg'?: "start"|"data"|"closeWrite";
}

/**
 * Agent -> relay on port-forward; close_write half-closes toward the pod.
 */
export interface PortForwardInput__Output {
  'start'?: (_ecigw_tunnel_v1_PortForwardStart__Output | null);
  'data'?: (Buffer);
  'closeWrite'?: (boolean);
  'msg'?: "start"|"data"|"closeWrite";
}
