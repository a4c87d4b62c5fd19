// Original file: proto/ecigw/tunnel/v1/tunnel.proto

import type { Long } from '@grpc/proto-loader';

export interface ContainerStats {
  'name'?: (string);
  'cpuUsageNanoCores'?: (number | string | Long);
  'cpuUsageCoreNanoSeconds'?: (number | string | Long);
  'memoryWorkingSetBytes'?: (number | string | Long);
  'memoryUsageBytes'?: (number | string | Long);
  /**
   * anonymous and swap cache memory (ECI's Memory.Rss)
   */
  'memoryRssBytes'?: (number | string | Long);
}

export interface ContainerStats__Output {
  'name': (string);
  'cpuUsageNanoCores': (number);
  'cpuUsageCoreNanoSeconds': (number);
  'memoryWorkingSetBytes': (number);
  'memoryUsageBytes': (number);
  /**
   * anonymous and swap cache memory (ECI's Memory.Rss)
   */
  'memoryRssBytes': (number);
}
