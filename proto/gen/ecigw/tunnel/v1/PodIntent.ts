// Original file: proto/ecigw/tunnel/v1/tunnel.proto

import type { VolumeFiles as _ecigw_tunnel_v1_VolumeFiles, VolumeFiles__Output as _ecigw_tunnel_v1_VolumeFiles__Output } from '../../../ecigw/tunnel/v1/VolumeFiles.js';
import type { EnvValues as _ecigw_tunnel_v1_EnvValues, EnvValues__Output as _ecigw_tunnel_v1_EnvValues__Output } from '../../../ecigw/tunnel/v1/EnvValues.js';
import type { RegistryCredential as _ecigw_tunnel_v1_RegistryCredential, RegistryCredential__Output as _ecigw_tunnel_v1_RegistryCredential__Output } from '../../../ecigw/tunnel/v1/RegistryCredential.js';
import type { Long } from '@grpc/proto-loader';

/**
 * Desired state of one pod: the core/v1 Pod JSON plus everything resolved on-prem.
 */
export interface PodIntent {
  'uid'?: (string);
  /**
   * agent-side monotonically increasing per uid, >= 1
   */
  'generation'?: (number | string | Long);
  /**
   * core/v1 Pod as the API server serves it
   */
  'podJson'?: (Buffer | Uint8Array | string);
  /**
   * volume name -> files
   */
  'volumes'?: ({[key: string]: _ecigw_tunnel_v1_VolumeFiles});
  /**
   * container name -> resolved env values
   */
  'env'?: ({[key: string]: _ecigw_tunnel_v1_EnvValues});
  'imagePullCredentials'?: (_ecigw_tunnel_v1_RegistryCredential)[];
  /**
   * projected service-account token file content
   */
  'serviceAccountToken'?: (Buffer | Uint8Array | string);
}

/**
 * Desired state of one pod: the core/v1 Pod JSON plus everything resolved on-prem.
 */
export interface PodIntent__Output {
  'uid': (string);
  /**
   * agent-side monotonically increasing per uid, >= 1
   */
  'generation': (number);
  /**
   * core/v1 Pod as the API server serves it
   */
  'podJson': (Buffer);
  /**
   * volume name -> files
   */
  'volumes': ({[key: string]: _ecigw_tunnel_v1_VolumeFiles__Output});
  /**
   * container name -> resolved env values
   */
  'env': ({[key: string]: _ecigw_tunnel_v1_EnvValues__Output});
  'imagePullCredentials': (_ecigw_tunnel_v1_RegistryCredential__Output)[];
  /**
   * projected service-account token file content
   */
  'serviceAccountToken': (Buffer);
}
