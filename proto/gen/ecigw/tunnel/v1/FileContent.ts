// Original file: proto/ecigw/tunnel/v1/tunnel.proto


/**
 * One file of a resolved volume (ConfigMap, Secret, projected, downward API).
 */
export interface FileContent {
  /**
   * relative to the volume root
   */
  'path'?: (string);
  'content'?: (Buffer | Uint8Array | string);
  /**
   * POSIX mode bits, 0 = default
   */
  'mode'?: (number);
}

/**
 * One file of a resolved volume (ConfigMap, Secret, projected, downward API).
 */
export interface FileContent__Output {
  /**
   * relative to the volume root
   */
  'path': (string);
  'content': (Buffer);
  /**
   * POSIX mode bits, 0 = default
   */
  'mode': (number);
}
