// Original file: proto/ecigw/tunnel/v1/tunnel.proto

import type { Long } from '@grpc/proto-loader';

/**
 * Acknowledges an applied intent.
 */
export interface PodAck {
  'uid'?: (string);
  'generation'?: (number | string | Long);
  /**
   * e.g. ECI container group id
   */
  'providerId'?: (string);
  /**
   * false when the generation was already applied
   */
  'changed'?: (boolean);
}

/**
 * Acknowledges an applied intent.
 */
export interface PodAck__Output {
  'uid': (string);
  'generation': (number);
  /**
   * e.g. ECI container group id
   */
  'providerId': (string);
  /**
   * false when the generation was already applied
   */
  'changed': (boolean);
}
