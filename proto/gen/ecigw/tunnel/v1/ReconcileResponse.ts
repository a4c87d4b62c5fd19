// Original file: proto/ecigw/tunnel/v1/tunnel.proto

import type { InventoryEntry as _ecigw_tunnel_v1_InventoryEntry, InventoryEntry__Output as _ecigw_tunnel_v1_InventoryEntry__Output } from '../../../ecigw/tunnel/v1/InventoryEntry.js';
import type { Orphan as _ecigw_tunnel_v1_Orphan, Orphan__Output as _ecigw_tunnel_v1_Orphan__Output } from '../../../ecigw/tunnel/v1/Orphan.js';

export interface ReconcileResponse {
  /**
   * not in the cloud: the agent re-applies
   */
  'missing'?: (_ecigw_tunnel_v1_InventoryEntry)[];
  /**
   * cloud holds an older generation (generation = cloud's): re-apply
   */
  'stale'?: (_ecigw_tunnel_v1_InventoryEntry)[];
  'orphans'?: (_ecigw_tunnel_v1_Orphan)[];
}

export interface ReconcileResponse__Output {
  /**
   * not in the cloud: the agent re-applies
   */
  'missing': (_ecigw_tunnel_v1_InventoryEntry__Output)[];
  /**
   * cloud holds an older generation (generation = cloud's): re-apply
   */
  'stale': (_ecigw_tunnel_v1_InventoryEntry__Output)[];
  'orphans': (_ecigw_tunnel_v1_Orphan__Output)[];
}
