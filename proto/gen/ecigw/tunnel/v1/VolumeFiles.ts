// Original file: proto/ecigw/tunnel/v1/tunnel.proto

import type { FileContent as _ecigw_tunnel_v1_FileContent, FileContent__Output as _ecigw_tunnel_v1_FileContent__Output } from '../../../ecigw/tunnel/v1/FileContent.js';

/**
 * All files of one volume.
 */
export interface VolumeFiles {
  'files'?: (_ecigw_tunnel_v1_FileContent)[];
}

/**
 * All files of one volume.
 */
export interface VolumeFiles__Output {
  'files': (_ecigw_tunnel_v1_FileContent__Output)[];
}
