// Original file: proto/ecigw/egress/v1/egress.proto

import type { ConnectStart as _ecigw_egress_v1_ConnectStart, ConnectStart__Output as _ecigw_egress_v1_ConnectStart__Output } from '../../../ecigw/egress/v1/ConnectStart.js';

export interface Chunk {
  'start'?: (_ecigw_egress_v1_ConnectStart | null);
  'data'?: (Buffer | Uint8Array | string);
  'closeWrite'?: (boolean);
  'msg'?: "start"|"data"|"closeWrite";
}

export interface Chunk__Output {
  'start'?: (_ecigw_egress_v1_ConnectStart__Output | null);
  'data'?: (Buffer);
  'closeWrite'?: (boolean);
  'msg'?: "start"|"data"|"closeWrite";
}
