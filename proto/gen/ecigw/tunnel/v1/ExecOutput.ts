// Original file: proto/ecigw/tunnel/v1/tunnel.proto

import type { ExitStatus as _ecigw_tunnel_v1_ExitStatus, ExitStatus__Output as _ecigw_tunnel_v1_ExitStatus__Output } from '../../../ecigw/tunnel/v1/ExitStatus.js';

/**
 * Relay -> agent on exec/attach.
 */
export interface ExecOutput {
  'stdout'?: (Buffer | Uint8Array | string);
  'stderr'?: (Buffer | Uint8Array | string);
  'exit'?: (_ecigw_tunnel_v1_ExitStatus | null);
  'msg'?: "stdout"|"stderr"|"exit";
}

/**
 * Relay -> agent on exec/attach.
 */
export interface ExecOutput__Output {
  'stdout'?: (Buffer);
  'stderr'?: (Buffer);
  'exit'?: (_ecigw_tunnel_v1_ExitStatus__Output | null);
  'msg'?: "stdout"|"stderr"|"exit";
}
