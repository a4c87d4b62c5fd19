// Original file: proto/ecigw/tunnel/v1/tunnel.proto

import type { ContainerStats as _ecigw_tunnel_v1_ContainerStats, ContainerStats__Output as _ecigw_tunnel_v1_ContainerStats__Output } from '../../../ecigw/tunnel/v1/ContainerStats.js';
import type { Long } from '@grpc/proto-loader';

export interface PodStats {
  'uid'?: (string);
  'namespace'?: (string);
  'name'?: (string);
  /**
   * RFC 3339 sample time
   */
  'time'?: (string);
  'containers'?: (_ecigw_tunnel_v1_ContainerStats)[];
  'networkRxBytes'?: (number | string | Long);
  'networkTxBytes'?: (number | string | Long);
}

export interface PodStats__Output {
  'uid': (string);
  'namespace': (string);
  'name': (string);
  /**
   * RFC 3339 sample time
   */
  'time': (string);
  'containers': (_ecigw_tunnel_v1_ContainerStats__Output)[];
  'networkRxBytes': (number);
  'networkTxBytes': (number);
}
