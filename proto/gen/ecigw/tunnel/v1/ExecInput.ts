// Original file: proto/ecigw/tunnel/v1/tunnel.proto

import type { ExecStart as _ecigw_tunnel_v1_ExecStart, ExecStart__Output as _ecigw_tunnel_v1_ExecStart__Output } from '../../../ecigw/tunnel/v1/ExecStart.js';
import type { TerminalSize as _ecigw_tunnel_v1_TerminalSize, TerminalSize__Output as _ecigw_tunnel_v1_TerminalSize__Output } from '../../../ecigw/tunnel/v1/TerminalSize.js';

/**
 * Agent -> relay on exec/attach.
 */
export interface ExecInput {
  'start'?: (_ecigw_tunnel_v1_ExecStart | null);
  'stdin'?: (Buffer | Uint8Array | string);
  'resize'?: (_ecigw_tunnel_v1_TerminalSize | null);
  'closeStdin'?: (boolean);
  'msg'?: "start"|"stdin"|"resize"|"closeStdin";
}

/**
 * Agent -> relay on exec/attach.
 */
export interface ExecInput__Output {
  'start'?: (_ecigw_tunnel_v1_ExecStart__Output | null);
  'stdin'?: (Buffer);
  'resize'?: (_ecigw_tunnel_v1_TerminalSize__Output | null);
  'closeStdin'?: (boolean);
  'msg'?: "start"|"stdin"|"resize"|"closeStdin";
}
