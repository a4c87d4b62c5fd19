// Original file: proto/ecigw/tunnel/v1/tunnel.proto

import type { ExportedService as _ecigw_tunnel_v1_ExportedService, ExportedService__Output as _ecigw_tunnel_v1_ExportedService__Output } from '../../../ecigw/tunnel/v1/ExportedService.js';

/**
 * Agent -> relay on Egress: the complete set of exports (replaces the previous one).
 */
export interface EgressUpdate {
  'exports'?: (_ecigw_tunnel_v1_ExportedService)[];
}

/**
 * Agent -> relay on Egress: the complete set of exports (replaces the previous one).
 */
export interface EgressUpdate__Output {
  'exports': (_ecigw_tunnel_v1_ExportedService__Output)[];
}
