// Original file: proto/ecigw/tunnel/v1/tunnel.proto

import type { Long } from '@grpc/proto-loader';

/**
 * kubectl logs, with the PodLogOptions fields.
 */
export interface LogsRequest {
  'namespace'?: (string);
  'podName'?: (string);
  'podUid'?: (string);
  'container'?: (string);
  'follow'?: (boolean);
  'tailLines'?: (number | string | Long);
  'sinceSeconds'?: (number | string | Long);
  /**
   * RFC 3339, empty = unset
   */
  'sinceTime'?: (string);
  'timestamps'?: (boolean);
  'limitBytes'?: (number | string | Long);
  'previous'?: (boolean);
  '_tailLines'?: "tailLines";
  '_sinceSeconds'?: "sinceSeconds";
  '_limitBytes'?: "limitBytes";
}

/**
 * kubectl logs, with the PodLogOptions fields.
 */
export interface LogsRequest__Output {
  'namespace': (string);
  'podName': (string);
  'podUid': (string);
  'container': (string);
  'follow': (boolean);
  'tailLines'?: (number);
  'sinceSeconds'?: (number);
  /**
   * RFC 3339, empty = unset
   */
  'sinceTime': (string);
  'timestamps': (boolean);
  'limitBytes'?: (number);
  'previous': (boolean);
  '_tailLines'?: "tailLines";
  '_sinceSeconds'?: "sinceSeconds";
  '_limitBytes'?: "limitBytes";
}
