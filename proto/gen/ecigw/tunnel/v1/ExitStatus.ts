// Original file: proto/ecigw/tunnel/v1/tunnel.proto


/**
 * How a session ended.
 */
export interface ExitStatus {
  'code'?: (number);
  'reason'?: (string);
  'message'?: (string);
}

/**
 * How a session ended.
 */
export interface ExitStatus__Output {
  'code': (number);
  'reason': (string);
  'message': (string);
}
