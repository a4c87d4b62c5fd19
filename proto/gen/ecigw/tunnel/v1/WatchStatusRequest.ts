// Original file: proto/ecigw/tunnel/v1/tunnel.proto

import type { Long } from '@grpc/proto-loader';

/**
 * Resume point; an empty epoch (or one this relay does not know) yields a full snapshot first.
 */
export interface WatchStatusRequest {
  'epoch'?: (string);
  'seq'?: (number | string | Long);
}

/**
 * Resume point; an empty epoch (or one this relay does not know) yields a full snapshot first.
 */
export interface WatchStatusRequest__Output {
  'epoch': (string);
  'seq': (number);
}
