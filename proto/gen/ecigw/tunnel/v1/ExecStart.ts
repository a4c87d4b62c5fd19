// Original file: proto/ecigw/tunnel/v1/tunnel.proto


/**
 * First message of an exec/attach session.
 */
export interface ExecStart {
  'namespace'?: (string);
  'podName'?: (string);
  'podUid'?: (string);
  'container'?: (string);
  /**
   * exec only
   */
  'command'?: (string)[];
  'tty'?: (boolean);
  'stdin'?: (boolean);
  'stdout'?: (boolean);
  'stderr'?: (boolean);
}

/**
 * First message of an exec/attach session.
 */
export interface ExecStart__Output {
  'namespace': (string);
  'podName': (string);
  'podUid': (string);
  'container': (string);
  /**
   * exec only
   */
  'command': (string)[];
  'tty': (boolean);
  'stdin': (boolean);
  'stdout': (boolean);
  'stderr': (boolean);
}
