// Original file: proto/ecigw/tunnel/v1/tunnel.proto

import type { PodIntent as _ecigw_tunnel_v1_PodIntent, PodIntent__Output as _ecigw_tunnel_v1_PodIntent__Output } from '../../../ecigw/tunnel/v1/PodIntent.js';

export interface ApplyPodRequest {
  'intent'?: (_ecigw_tunnel_v1_PodIntent | null);
}

export interface ApplyPodRequest__Output {
  'intent': (_ecigw_tunnel_v1_PodIntent__Output | null);
}
