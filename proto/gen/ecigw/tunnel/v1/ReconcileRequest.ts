// Original file: proto/ecigw/tunnel/v1/tunnel.proto

import type { InventoryEntry as _ecigw_tunnel_v1_InventoryEntry, InventoryEntry__Output as _ecigw_tunnel_v1_InventoryEntry__Output } from '../../../ecigw/tunnel/v1/InventoryEntry.js';

export interface ReconcileRequest {
  'inventory'?: (_ecigw_tunnel_v1_InventoryEntry)[];
}

export interface ReconcileRequest__Output {
  'inventory': (_ecigw_tunnel_v1_InventoryEntry__Output)[];
}
