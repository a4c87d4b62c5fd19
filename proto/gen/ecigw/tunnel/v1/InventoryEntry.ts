// Original file: proto/ecigw/tunnel/v1/tunnel.proto

import type { Long } from '@grpc/proto-loader';

export interface InventoryEntry {
  'uid'?: (string);
  'generation'?: (number | string | Long);
}

export interface InventoryEntry__Output {
  'uid': (string);
  'generation': (number);
}
