// Original file: proto/ecigw/egress/v1/egress.proto

import type * as grpc from '@grpc/grpc-js'
import type { MethodDefinition } from '@grpc/proto-loader'
import type { Chunk as _ecigw_egress_v1_Chunk, Chunk__Output as _ecigw_egress_v1_Chunk__Output } from '../../../ecigw/egress/v1/Chunk.js';
import type { ExportList as _ecigw_egress_v1_ExportList, ExportList__Output as _ecigw_egress_v1_ExportList__Output } from '../../../ecigw/egress/v1/ExportList.js';
import type { WatchExportsRequest as _ecigw_egress_v1_WatchExportsRequest, WatchExportsRequest__Output as _ecigw_egress_v1_WatchExportsRequest__Output } from '../../../ecigw/egress/v1/WatchExportsRequest.js';

export interface EgressClient extends grpc.Client {
  /**
   * One TCP connection to an exported Service: first message `start`, then bytes both ways; close_write
   * half-closes. The relay sends its response headers once the agent reached the Service.
   */
  Connect(metadata: grpc.Metadata, options?: grpc.CallOptions): grpc.ClientDuplexStream<_ecigw_egress_v1_Chunk, _ecigw_egress_v1_Chunk__Output>;
  Connect(options?: grpc.CallOptions): grpc.ClientDuplexStream<_ecigw_egress_v1_Chunk, _ecigw_egress_v1_Chunk__Output>;
  /**
   * One TCP connection to an exported Service: first message `start`, then bytes both ways; close_write
   * half-closes. The relay sends its response headers once the agent reached the Service.
   */
  connect(metadata: grpc.Metadata, options?: grpc.CallOptions): grpc.ClientDuplexStream<_ecigw_egress_v1_Chunk, _ecigw_egress_v1_Chunk__Output>;
  connect(options?: grpc.CallOptions): grpc.ClientDuplexStream<_ecigw_egress_v1_Chunk, _ecigw_egress_v1_Chunk__Output>;
  
  /**
   * The Services this pod may reach: the whole list now and after every change.
   */
  WatchExports(argument: _ecigw_egress_v1_WatchExportsRequest, metadata: grpc.Metadata, options?: grpc.CallOptions): grpc.ClientReadableStream<_ecigw_egress_v1_ExportList__Output>;
  WatchExports(argument: _ecigw_egress_v1_WatchExportsRequest, options?: grpc.CallOptions): grpc.ClientReadableStream<_ecigw_egress_v1_ExportList__Output>;
  /**
   * The Services this pod may reach: the whole list now and after every change.
   */
  watchExports(argument: _ecigw_egress_v1_WatchExportsRequest, metadata: grpc.Metadata, options?: grpc.CallOptions): grpc.ClientReadableStream<_ecigw_egress_v1_ExportList__Output>;
  watchExports(argument: _ecigw_egress_v1_WatchExportsRequest, options?: grpc.CallOptions): grpc.ClientReadableStream<_ecigw_egress_v1_ExportList__Output>;
  
}

export interface EgressHandlers extends grpc.UntypedServiceImplementation {
  /**
   * One TCP connection to an exported Service: first message `start`, then bytes both ways; close_write
   * half-closes. The relay sends its response headers once the agent reached the Service.
   */
  Connect: grpc.handleBidiStreamingCall<_ecigw_egress_v1_Chunk__Output, _ecigw_egress_v1_Chunk>;
  
  /**
   * The Services this pod may reach: the whole list now and after every change.
   */
  WatchExports: grpc.handleServerStreamingCall<_ecigw_egress_v1_WatchExportsRequest__Output, _ecigw_egress_v1_ExportList>;
  
}

export interface EgressDefinition extends grpc.ServiceDefinition {
  Connect: MethodDefinition<_ecigw_egress_v1_Chunk, _ecigw_egress_v1_Chunk, _ecigw_egress_v1_Chunk__Output, _ecigw_egress_v1_Chunk__Output>
  WatchExports: MethodDefinition<_ecigw_egress_v1_WatchExportsRequest, _ecigw_egress_v1_ExportList, _ecigw_egress_v1_WatchExportsRequest__Output, _ecigw_egress_v1_ExportList__Output>
}
