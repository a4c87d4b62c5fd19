// Original file: proto/ecigw/tunnel/v1/tunnel.proto

import type { Long } from '@grpc/proto-loader';

export interface DeletePodRequest {
  'uid'?: (string);
  'gracePeriodSeconds'?: (number | string | Long);
}

export interface DeletePodRequest__Output {
  'uid': (string);
  'gracePeriodSeconds': (number);
}
