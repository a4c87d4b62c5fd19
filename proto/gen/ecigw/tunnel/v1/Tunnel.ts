// Original file: proto/ecigw/tunnel/v1/tunnel.proto

import type * as grpc from '@grpc/grpc-js'
import type { MethodDefinition } from '@grpc/proto-loader'
import type { ApplyPodRequest as _ecigw_tunnel_v1_ApplyPodRequest, ApplyPodRequest__Output as _ecigw_tunnel_v1_ApplyPodRequest__Output } from '../../../ecigw/tunnel/v1/ApplyPodRequest.js';
import type { CapacityRequest as _ecigw_tunnel_v1_CapacityRequest, CapacityRequest__Output as _ecigw_tunnel_v1_CapacityRequest__Output } from '../../../ecigw/tunnel/v1/CapacityRequest.js';
import type { CapacityResponse as _ecigw_tunnel_v1_CapacityResponse, CapacityResponse__Output as _ecigw_tunnel_v1_CapacityResponse__Output } from '../../../ecigw/tunnel/v1/CapacityResponse.js';
import type { DeletePodRequest as _ecigw_tunnel_v1_DeletePodRequest, DeletePodRequest__Output as _ecigw_tunnel_v1_DeletePodRequest__Output } from '../../../ecigw/tunnel/v1/DeletePodRequest.js';
import type { DeletePodResponse as _ecigw_tunnel_v1_DeletePodResponse, DeletePodResponse__Output as _ecigw_tunnel_v1_DeletePodResponse__Output } from '../../../ecigw/tunnel/v1/DeletePodResponse.js';
import type { EgressDial as _ecigw_tunnel_v1_EgressDial, EgressDial__Output as _ecigw_tunnel_v1_EgressDial__Output } from '../../../ecigw/tunnel/v1/EgressDial.js';
import type { EgressUpdate as _ecigw_tunnel_v1_EgressUpdate, EgressUpdate__Output as _ecigw_tunnel_v1_EgressUpdate__Output } from '../../../ecigw/tunnel/v1/EgressUpdate.js';
import type { ExecInput as _ecigw_tunnel_v1_ExecInput, ExecInput__Output as _ecigw_tunnel_v1_ExecInput__Output } from '../../../ecigw/tunnel/v1/ExecInput.js';
import type { ExecOutput as _ecigw_tunnel_v1_ExecOutput, ExecOutput__Output as _ecigw_tunnel_v1_ExecOutput__Output } from '../../../ecigw/tunnel/v1/ExecOutput.js';
import type { GetPodRequest as _ecigw_tunnel_v1_GetPodRequest, GetPodRequest__Output as _ecigw_tunnel_v1_GetPodRequest__Output } from '../../../ecigw/tunnel/v1/GetPodRequest.js';
import type { HandshakeRequest as _ecigw_tunnel_v1_HandshakeRequest, HandshakeRequest__Output as _ecigw_tunnel_v1_HandshakeRequest__Output } from '../../../ecigw/tunnel/v1/HandshakeRequest.js';
import type { HandshakeResponse as _ecigw_tunnel_v1_HandshakeResponse, HandshakeResponse__Output as _ecigw_tunnel_v1_HandshakeResponse__Output } from '../../../ecigw/tunnel/v1/HandshakeResponse.js';
import type { ListPodsRequest as _ecigw_tunnel_v1_ListPodsRequest, ListPodsRequest__Output as _ecigw_tunnel_v1_ListPodsRequest__Output } from '../../../ecigw/tunnel/v1/ListPodsRequest.js';
import type { ListPodsResponse as _ecigw_tunnel_v1_ListPodsResponse, ListPodsResponse__Output as _ecigw_tunnel_v1_ListPodsResponse__Output } from '../../../ecigw/tunnel/v1/ListPodsResponse.js';
import type { LogChunk as _ecigw_tunnel_v1_LogChunk, LogChunk__Output as _ecigw_tunnel_v1_LogChunk__Output } from '../../../ecigw/tunnel/v1/LogChunk.js';
import type { LogsRequest as _ecigw_tunnel_v1_LogsRequest, LogsRequest__Output as _ecigw_tunnel_v1_LogsRequest__Output } from '../../../ecigw/tunnel/v1/LogsRequest.js';
import type { PodAck as _ecigw_tunnel_v1_PodAck, PodAck__Output as _ecigw_tunnel_v1_PodAck__Output } from '../../../ecigw/tunnel/v1/PodAck.js';
import type { PodState as _ecigw_tunnel_v1_PodState, PodState__Output as _ecigw_tunnel_v1_PodState__Output } from '../../../ecigw/tunnel/v1/PodState.js';
import type { PortForwardInput as _ecigw_tunnel_v1_PortForwardInput, PortForwardInput__Output as _ecigw_tunnel_v1_PortForwardInput__Output } from '../../../ecigw/tunnel/v1/PortForwardInput.js';
import type { PortForwardOutput as _ecigw_tunnel_v1_PortForwardOutput, PortForwardOutput__Output as _ecigw_tunnel_v1_PortForwardOutput__Output } from '../../../ecigw/tunnel/v1/PortForwardOutput.js';
import type { ReconcileRequest as _ecigw_tunnel_v1_ReconcileRequest, ReconcileRequest__Output as _ecigw_tunnel_v1_ReconcileRequest__Output } from '../../../ecigw/tunnel/v1/ReconcileRequest.js';
import type { ReconcileResponse as _ecigw_tunnel_v1_ReconcileResponse, ReconcileResponse__Output as _ecigw_tunnel_v1_ReconcileResponse__Output } from '../../../ecigw/tunnel/v1/ReconcileResponse.js';
import type { StatsRequest as _ecigw_tunnel_v1_StatsRequest, StatsRequest__Output as _ecigw_tunnel_v1_StatsRequest__Output } from '../../../ecigw/tunnel/v1/StatsRequest.js';
import type { StatsResponse as _ecigw_tunnel_v1_StatsResponse, StatsResponse__Output as _ecigw_tunnel_v1_StatsResponse__Output } from '../../../ecigw/tunnel/v1/StatsResponse.js';
import type { StatusEvent as _ecigw_tunnel_v1_StatusEvent, StatusEvent__Output as _ecigw_tunnel_v1_StatusEvent__Output } from '../../../ecigw/tunnel/v1/StatusEvent.js';
import type { WatchStatusRequest as _ecigw_tunnel_v1_WatchStatusRequest, WatchStatusRequest__Output as _ecigw_tunnel_v1_WatchStatusRequest__Output } from '../../../ecigw/tunnel/v1/WatchStatusRequest.js';

export interface TunnelClient extends grpc.Client {
  /**
   * Create or update a pod; idempotent by (uid, generation).
   */
  ApplyPod(argument: _ecigw_tunnel_v1_ApplyPodRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_ecigw_tunnel_v1_PodAck__Output>): grpc.ClientUnaryCall;
  ApplyPod(argument: _ecigw_tunnel_v1_ApplyPodRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_ecigw_tunnel_v1_PodAck__Output>): grpc.ClientUnaryCall;
  ApplyPod(argument: _ecigw_tunnel_v1_ApplyPodRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_ecigw_tunnel_v1_PodAck__Output>): grpc.ClientUnaryCall;
  ApplyPod(argument: _ecigw_tunnel_v1_ApplyPodRequest, callback: grpc.requestCallback<_ecigw_tunnel_v1_PodAck__Output>): grpc.ClientUnaryCall;
  /**
   * Create or update a pod; idempotent by (uid, generation).
   */
  applyPod(argument: _ecigw_tunnel_v1_ApplyPodRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_ecigw_tunnel_v1_PodAck__Output>): grpc.ClientUnaryCall;
  applyPod(argument: _ecigw_tunnel_v1_ApplyPodRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_ecigw_tunnel_v1_PodAck__Output>): grpc.ClientUnaryCall;
  applyPod(argument: _ecigw_tunnel_v1_ApplyPodRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_ecigw_tunnel_v1_PodAck__Output>): grpc.ClientUnaryCall;
  applyPod(argument: _ecigw_tunnel_v1_ApplyPodRequest, callback: grpc.requestCallback<_ecigw_tunnel_v1_PodAck__Output>): grpc.ClientUnaryCall;
  
  Attach(metadata: grpc.Metadata, options?: grpc.CallOptions): grpc.ClientDuplexStream<_ecigw_tunnel_v1_ExecInput, _ecigw_tunnel_v1_ExecOutput__Output>;
  Attach(options?: grpc.CallOptions): grpc.ClientDuplexStream<_ecigw_tunnel_v1_ExecInput, _ecigw_tunnel_v1_ExecOutput__Output>;
  attach(metadata: grpc.Metadata, options?: grpc.CallOptions): grpc.ClientDuplexStream<_ecigw_tunnel_v1_ExecInput, _ecigw_tunnel_v1_ExecOutput__Output>;
  attach(options?: grpc.CallOptions): grpc.ClientDuplexStream<_ecigw_tunnel_v1_ExecInput, _ecigw_tunnel_v1_ExecOutput__Output>;
  
  /**
   * The caps on the cluster's pods in the cloud and what is used of them: the virtual node's allocatable follows.
   */
  Capacity(argument: _ecigw_tunnel_v1_CapacityRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_ecigw_tunnel_v1_CapacityResponse__Output>): grpc.ClientUnaryCall;
  Capacity(argument: _ecigw_tunnel_v1_CapacityRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_ecigw_tunnel_v1_CapacityResponse__Output>): grpc.ClientUnaryCall;
  Capacity(argument: _ecigw_tunnel_v1_CapacityRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_ecigw_tunnel_v1_CapacityResponse__Output>): grpc.ClientUnaryCall;
  Capacity(argument: _ecigw_tunnel_v1_CapacityRequest, callback: grpc.requestCallback<_ecigw_tunnel_v1_CapacityResponse__Output>): grpc.ClientUnaryCall;
  /**
   * The caps on the cluster's pods in the cloud and what is used of them: the virtual node's allocatable follows.
   */
  capacity(argument: _ecigw_tunnel_v1_CapacityRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_ecigw_tunnel_v1_CapacityResponse__Output>): grpc.ClientUnaryCall;
  capacity(argument: _ecigw_tunnel_v1_CapacityRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_ecigw_tunnel_v1_CapacityResponse__Output>): grpc.ClientUnaryCall;
  capacity(argument: _ecigw_tunnel_v1_CapacityRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_ecigw_tunnel_v1_CapacityResponse__Output>): grpc.ClientUnaryCall;
  capacity(argument: _ecigw_tunnel_v1_CapacityRequest, callback: grpc.requestCallback<_ecigw_tunnel_v1_CapacityResponse__Output>): grpc.ClientUnaryCall;
  
  /**
   * Delete a pod with a grace period; deleting an unknown pod succeeds with existed=false.
   */
  DeletePod(argument: _ecigw_tunnel_v1_DeletePodRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_ecigw_tunnel_v1_DeletePodResponse__Output>): grpc.ClientUnaryCall;
  DeletePod(argument: _ecigw_tunnel_v1_DeletePodRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_ecigw_tunnel_v1_DeletePodResponse__Output>): grpc.ClientUnaryCall;
  DeletePod(argument: _ecigw_tunnel_v1_DeletePodRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_ecigw_tunnel_v1_DeletePodResponse__Output>): grpc.ClientUnaryCall;
  DeletePod(argument: _ecigw_tunnel_v1_DeletePodRequest, callback: grpc.requestCallback<_ecigw_tunnel_v1_DeletePodResponse__Output>): grpc.ClientUnaryCall;
  /**
   * Delete a pod with a grace period; deleting an unknown pod succeeds with existed=false.
   */
  deletePod(argument: _ecigw_tunnel_v1_DeletePodRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_ecigw_tunnel_v1_DeletePodResponse__Output>): grpc.ClientUnaryCall;
  deletePod(argument: _ecigw_tunnel_v1_DeletePodRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_ecigw_tunnel_v1_DeletePodResponse__Output>): grpc.ClientUnaryCall;
  deletePod(argument: _ecigw_tunnel_v1_DeletePodRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_ecigw_tunnel_v1_DeletePodResponse__Output>): grpc.ClientUnaryCall;
  deletePod(argument: _ecigw_tunnel_v1_DeletePodRequest, callback: grpc.requestCallback<_ecigw_tunnel_v1_DeletePodResponse__Output>): grpc.ClientUnaryCall;
  
  /**
   * Networking mode `tunnel`, outbound: the agent sends the Services it exports to burst pods (the whole set,
   * on open and after every change); the relay asks it to reach one of them for a burst pod's connection.
   */
  Egress(metadata: grpc.Metadata, options?: grpc.CallOptions): grpc.ClientDuplexStream<_ecigw_tunnel_v1_EgressUpdate, _ecigw_tunnel_v1_EgressDial__Output>;
  Egress(options?: grpc.CallOptions): grpc.ClientDuplexStream<_ecigw_tunnel_v1_EgressUpdate, _ecigw_tunnel_v1_EgressDial__Output>;
  /**
   * Networking mode `tunnel`, outbound: the agent sends the Services it exports to burst pods (the whole set,
   * on open and after every change); the relay asks it to reach one of them for a burst pod's connection.
   */
  egress(metadata: grpc.Metadata, options?: grpc.CallOptions): grpc.ClientDuplexStream<_ecigw_tunnel_v1_EgressUpdate, _ecigw_tunnel_v1_EgressDial__Output>;
  egress(options?: grpc.CallOptions): grpc.ClientDuplexStream<_ecigw_tunnel_v1_EgressUpdate, _ecigw_tunnel_v1_EgressDial__Output>;
  
  /**
   * The agent's answer to one EgressDial (first message egress_open), then that connection's bytes as in
   * PortForward: input = from the on-prem Service, output = from the burst pod.
   */
  EgressConnection(metadata: grpc.Metadata, options?: grpc.CallOptions): grpc.ClientDuplexStream<_ecigw_tunnel_v1_PortForwardInput, _ecigw_tunnel_v1_PortForwardOutput__Output>;
  EgressConnection(options?: grpc.CallOptions): grpc.ClientDuplexStream<_ecigw_tunnel_v1_PortForwardInput, _ecigw_tunnel_v1_PortForwardOutput__Output>;
  /**
   * The agent's answer to one EgressDial (first message egress_open), then that connection's bytes as in
   * PortForward: input = from the on-prem Service, output = from the burst pod.
   */
  egressConnection(metadata: grpc.Metadata, options?: grpc.CallOptions): grpc.ClientDuplexStream<_ecigw_tunnel_v1_PortForwardInput, _ecigw_tunnel_v1_PortForwardOutput__Output>;
  egressConnection(options?: grpc.CallOptions): grpc.ClientDuplexStream<_ecigw_tunnel_v1_PortForwardInput, _ecigw_tunnel_v1_PortForwardOutput__Output>;
  
  /**
   * One RPC per interactive session; HTTP/2 multiplexes and flow-controls them.
   */
  Exec(metadata: grpc.Metadata, options?: grpc.CallOptions): grpc.ClientDuplexStream<_ecigw_tunnel_v1_ExecInput, _ecigw_tunnel_v1_ExecOutput__Output>;
  Exec(options?: grpc.CallOptions): grpc.ClientDuplexStream<_ecigw_tunnel_v1_ExecInput, _ecigw_tunnel_v1_ExecOutput__Output>;
  /**
   * One RPC per interactive session; HTTP/2 multiplexes and flow-controls them.
   */
  exec(metadata: grpc.Metadata, options?: grpc.CallOptions): grpc.ClientDuplexStream<_ecigw_tunnel_v1_ExecInput, _ecigw_tunnel_v1_ExecOutput__Output>;
  exec(options?: grpc.CallOptions): grpc.ClientDuplexStream<_ecigw_tunnel_v1_ExecInput, _ecigw_tunnel_v1_ExecOutput__Output>;
  
  /**
   * One pod's cloud-side state (NOT_FOUND when absent).
   */
  GetPod(argument: _ecigw_tunnel_v1_GetPodRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_ecigw_tunnel_v1_PodState__Output>): grpc.ClientUnaryCall;
  GetPod(argument: _ecigw_tunnel_v1_GetPodRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_ecigw_tunnel_v1_PodState__Output>): grpc.ClientUnaryCall;
  GetPod(argument: _ecigw_tunnel_v1_GetPodRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_ecigw_tunnel_v1_PodState__Output>): grpc.ClientUnaryCall;
  GetPod(argument: _ecigw_tunnel_v1_GetPodRequest, callback: grpc.requestCallback<_ecigw_tunnel_v1_PodState__Output>): grpc.ClientUnaryCall;
  /**
   * One pod's cloud-side state (NOT_FOUND when absent).
   */
  getPod(argument: _ecigw_tunnel_v1_GetPodRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_ecigw_tunnel_v1_PodState__Output>): grpc.ClientUnaryCall;
  getPod(argument: _ecigw_tunnel_v1_GetPodRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_ecigw_tunnel_v1_PodState__Output>): grpc.ClientUnaryCall;
  getPod(argument: _ecigw_tunnel_v1_GetPodRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_ecigw_tunnel_v1_PodState__Output>): grpc.ClientUnaryCall;
  getPod(argument: _ecigw_tunnel_v1_GetPodRequest, callback: grpc.requestCallback<_ecigw_tunnel_v1_PodState__Output>): grpc.ClientUnaryCall;
  
  /**
   * Version and capability negotiation; either side refuses an incompatible peer.
   */
  Handshake(argument: _ecigw_tunnel_v1_HandshakeRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_ecigw_tunnel_v1_HandshakeResponse__Output>): grpc.ClientUnaryCall;
  Handshake(argument: _ecigw_tunnel_v1_HandshakeRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_ecigw_tunnel_v1_HandshakeResponse__Output>): grpc.ClientUnaryCall;
  Handshake(argument: _ecigw_tunnel_v1_HandshakeRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_ecigw_tunnel_v1_HandshakeResponse__Output>): grpc.ClientUnaryCall;
  Handshake(argument: _ecigw_tunnel_v1_HandshakeRequest, callback: grpc.requestCallback<_ecigw_tunnel_v1_HandshakeResponse__Output>): grpc.ClientUnaryCall;
  /**
   * Version and capability negotiation; either side refuses an incompatible peer.
   */
  handshake(argument: _ecigw_tunnel_v1_HandshakeRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_ecigw_tunnel_v1_HandshakeResponse__Output>): grpc.ClientUnaryCall;
  handshake(argument: _ecigw_tunnel_v1_HandshakeRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_ecigw_tunnel_v1_HandshakeResponse__Output>): grpc.ClientUnaryCall;
  handshake(argument: _ecigw_tunnel_v1_HandshakeRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_ecigw_tunnel_v1_HandshakeResponse__Output>): grpc.ClientUnaryCall;
  handshake(argument: _ecigw_tunnel_v1_HandshakeRequest, callback: grpc.requestCallback<_ecigw_tunnel_v1_HandshakeResponse__Output>): grpc.ClientUnaryCall;
  
  /**
   * Every pod of the caller's tenant and cluster.
   */
  ListPods(argument: _ecigw_tunnel_v1_ListPodsRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_ecigw_tunnel_v1_ListPodsResponse__Output>): grpc.ClientUnaryCall;
  ListPods(argument: _ecigw_tunnel_v1_ListPodsRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_ecigw_tunnel_v1_ListPodsResponse__Output>): grpc.ClientUnaryCall;
  ListPods(argument: _ecigw_tunnel_v1_ListPodsRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_ecigw_tunnel_v1_ListPodsResponse__Output>): grpc.ClientUnaryCall;
  ListPods(argument: _ecigw_tunnel_v1_ListPodsRequest, callback: grpc.requestCallback<_ecigw_tunnel_v1_ListPodsResponse__Output>): grpc.ClientUnaryCall;
  /**
   * Every pod of the caller's tenant and cluster.
   */
  listPods(argument: _ecigw_tunnel_v1_ListPodsRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_ecigw_tunnel_v1_ListPodsResponse__Output>): grpc.ClientUnaryCall;
  listPods(argument: _ecigw_tunnel_v1_ListPodsRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_ecigw_tunnel_v1_ListPodsResponse__Output>): grpc.ClientUnaryCall;
  listPods(argument: _ecigw_tunnel_v1_ListPodsRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_ecigw_tunnel_v1_ListPodsResponse__Output>): grpc.ClientUnaryCall;
  listPods(argument: _ecigw_tunnel_v1_ListPodsRequest, callback: grpc.requestCallback<_ecigw_tunnel_v1_ListPodsResponse__Output>): grpc.ClientUnaryCall;
  
  Logs(argument: _ecigw_tunnel_v1_LogsRequest, metadata: grpc.Metadata, options?: grpc.CallOptions): grpc.ClientReadableStream<_ecigw_tunnel_v1_LogChunk__Output>;
  Logs(argument: _ecigw_tunnel_v1_LogsRequest, options?: grpc.CallOptions): grpc.ClientReadableStream<_ecigw_tunnel_v1_LogChunk__Output>;
  logs(argument: _ecigw_tunnel_v1_LogsRequest, metadata: grpc.Metadata, options?: grpc.CallOptions): grpc.ClientReadableStream<_ecigw_tunnel_v1_LogChunk__Output>;
  logs(argument: _ecigw_tunnel_v1_LogsRequest, options?: grpc.CallOptions): grpc.ClientReadableStream<_ecigw_tunnel_v1_LogChunk__Output>;
  
  PortForward(metadata: grpc.Metadata, options?: grpc.CallOptions): grpc.ClientDuplexStream<_ecigw_tunnel_v1_PortForwardInput, _ecigw_tunnel_v1_PortForwardOutput__Output>;
  PortForward(options?: grpc.CallOptions): grpc.ClientDuplexStream<_ecigw_tunnel_v1_PortForwardInput, _ecigw_tunnel_v1_PortForwardOutput__Output>;
  portForward(metadata: grpc.Metadata, options?: grpc.CallOptions): grpc.ClientDuplexStream<_ecigw_tunnel_v1_PortForwardInput, _ecigw_tunnel_v1_PortForwardOutput__Output>;
  portForward(options?: grpc.CallOptions): grpc.ClientDuplexStream<_ecigw_tunnel_v1_PortForwardInput, _ecigw_tunnel_v1_PortForwardOutput__Output>;
  
  /**
   * Full agent inventory in, differences out; sent on every (re)connect.
   */
  Reconcile(argument: _ecigw_tunnel_v1_ReconcileRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_ecigw_tunnel_v1_ReconcileResponse__Output>): grpc.ClientUnaryCall;
  Reconcile(argument: _ecigw_tunnel_v1_ReconcileRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_ecigw_tunnel_v1_ReconcileResponse__Output>): grpc.ClientUnaryCall;
  Reconcile(argument: _ecigw_tunnel_v1_ReconcileRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_ecigw_tunnel_v1_ReconcileResponse__Output>): grpc.ClientUnaryCall;
  Reconcile(argument: _ecigw_tunnel_v1_ReconcileRequest, callback: grpc.requestCallback<_ecigw_tunnel_v1_ReconcileResponse__Output>): grpc.ClientUnaryCall;
  /**
   * Full agent inventory in, differences out; sent on every (re)connect.
   */
  reconcile(argument: _ecigw_tunnel_v1_ReconcileRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_ecigw_tunnel_v1_ReconcileResponse__Output>): grpc.ClientUnaryCall;
  reconcile(argument: _ecigw_tunnel_v1_ReconcileRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_ecigw_tunnel_v1_ReconcileResponse__Output>): grpc.ClientUnaryCall;
  reconcile(argument: _ecigw_tunnel_v1_ReconcileRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_ecigw_tunnel_v1_ReconcileResponse__Output>): grpc.ClientUnaryCall;
  reconcile(argument: _ecigw_tunnel_v1_ReconcileRequest, callback: grpc.requestCallback<_ecigw_tunnel_v1_ReconcileResponse__Output>): grpc.ClientUnaryCall;
  
  /**
   * One TCP connection of Service traffic to a burst pod (networking mode `tunnel`): the same messages as
   * PortForward, admitted against the caps of Service connections instead of interactive sessions.
   */
  ServiceConnection(metadata: grpc.Metadata, options?: grpc.CallOptions): grpc.ClientDuplexStream<_ecigw_tunnel_v1_PortForwardInput, _ecigw_tunnel_v1_PortForwardOutput__Output>;
  ServiceConnection(options?: grpc.CallOptions): grpc.ClientDuplexStream<_ecigw_tunnel_v1_PortForwardInput, _ecigw_tunnel_v1_PortForwardOutput__Output>;
  /**
   * One TCP connection of Service traffic to a burst pod (networking mode `tunnel`): the same messages as
   * PortForward, admitted against the caps of Service connections instead of interactive sessions.
   */
  serviceConnection(metadata: grpc.Metadata, options?: grpc.CallOptions): grpc.ClientDuplexStream<_ecigw_tunnel_v1_PortForwardInput, _ecigw_tunnel_v1_PortForwardOutput__Output>;
  serviceConnection(options?: grpc.CallOptions): grpc.ClientDuplexStream<_ecigw_tunnel_v1_PortForwardInput, _ecigw_tunnel_v1_PortForwardOutput__Output>;
  
  /**
   * Resource usage for the kubelet stats summary.
   */
  Stats(argument: _ecigw_tunnel_v1_StatsRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_ecigw_tunnel_v1_StatsResponse__Output>): grpc.ClientUnaryCall;
  Stats(argument: _ecigw_tunnel_v1_StatsRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_ecigw_tunnel_v1_StatsResponse__Output>): grpc.ClientUnaryCall;
  Stats(argument: _ecigw_tunnel_v1_StatsRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_ecigw_tunnel_v1_StatsResponse__Output>): grpc.ClientUnaryCall;
  Stats(argument: _ecigw_tunnel_v1_StatsRequest, callback: grpc.requestCallback<_ecigw_tunnel_v1_StatsResponse__Output>): grpc.ClientUnaryCall;
  /**
   * Resource usage for the kubelet stats summary.
   */
  stats(argument: _ecigw_tunnel_v1_StatsRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_ecigw_tunnel_v1_StatsResponse__Output>): grpc.ClientUnaryCall;
  stats(argument: _ecigw_tunnel_v1_StatsRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_ecigw_tunnel_v1_StatsResponse__Output>): grpc.ClientUnaryCall;
  stats(argument: _ecigw_tunnel_v1_StatsRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_ecigw_tunnel_v1_StatsResponse__Output>): grpc.ClientUnaryCall;
  stats(argument: _ecigw_tunnel_v1_StatsRequest, callback: grpc.requestCallback<_ecigw_tunnel_v1_StatsResponse__Output>): grpc.ClientUnaryCall;
  
  /**
   * Pod status deltas, resumable from (epoch, seq), with periodic bookmarks.
   */
  WatchStatus(argument: _ecigw_tunnel_v1_WatchStatusRequest, metadata: grpc.Metadata, options?: grpc.CallOptions): grpc.ClientReadableStream<_ecigw_tunnel_v1_StatusEvent__Output>;
  WatchStatus(argument: _ecigw_tunnel_v1_WatchStatusRequest, options?: grpc.CallOptions): grpc.ClientReadableStream<_ecigw_tunnel_v1_StatusEvent__Output>;
  /**
   * Pod status deltas, resumable from (epoch, seq), with periodic bookmarks.
   */
  watchStatus(argument: _ecigw_tunnel_v1_WatchStatusRequest, metadata: grpc.Metadata, options?: grpc.CallOptions): grpc.ClientReadableStream<_ecigw_tunnel_v1_StatusEvent__Output>;
  watchStatus(argument: _ecigw_tunnel_v1_WatchStatusRequest, options?: grpc.CallOptions): grpc.ClientReadableStream<_ecigw_tunnel_v1_StatusEvent__Output>;
  
}

export interface TunnelHandlers extends grpc.UntypedServiceImplementation {
  /**
   * Create or update a pod; idempotent by (uid, generation).
   */
  ApplyPod: grpc.handleUnaryCall<_ecigw_tunnel_v1_ApplyPodRequest__Output, _ecigw_tunnel_v1_PodAck>;
  
  Attach: grpc.handleBidiStreamingCall<_ecigw_tunnel_v1_ExecInput__Output, _ecigw_tunnel_v1_ExecOutput>;
  
  /**
   * The caps on the cluster's pods in the cloud and what is used of them: the virtual node's allocatable follows.
   */
  Capacity: grpc.handleUnaryCall<_ecigw_tunnel_v1_CapacityRequest__Output, _ecigw_tunnel_v1_CapacityResponse>;
  
  /**
   * Delete a pod with a grace period; deleting an unknown pod succeeds with existed=false.
   */
  DeletePod: grpc.handleUnaryCall<_ecigw_tunnel_v1_DeletePodRequest__Output, _ecigw_tunnel_v1_DeletePodResponse>;
  
  /**
   * Networking mode `tunnel`, outbound: the agent sends the Services it exports to burst pods (the whole set,
   * on open and after every change); the relay asks it to reach one of them for a burst pod's connection.
   */
  Egress: grpc.handleBidiStreamingCall<_ecigw_tunnel_v1_EgressUpdate__Output, _ecigw_tunnel_v1_EgressDial>;
  
  /**
   * The agent's answer to one EgressDial (first message egress_open), then that connection's bytes as in
   * PortForward: input = from the on-prem Service, output = from the burst pod.
   */
  EgressConnection: grpc.handleBidiStreamingCall<_ecigw_tunnel_v1_PortForwardInput__Output, _ecigw_tunnel_v1_PortForwardOutput>;
  
  /**
   * One RPC per interactive session; HTTP/2 multiplexes and flow-controls them.
   */
  Exec: grpc.handleBidiStreamingCall<_ecigw_tunnel_v1_ExecInput__Output, _ecigw_tunnel_v1_ExecOutput>;
  
  /**
   * One pod's cloud-side state (NOT_FOUND when absent).
   */
  GetPod: grpc.handleUnaryCall<_ecigw_tunnel_v1_GetPodRequest__Output, _ecigw_tunnel_v1_PodState>;
  
  /**
   * Version and capability negotiation; either side refuses an incompatible peer.
   */
  Handshake: grpc.handleUnaryCall<_ecigw_tunnel_v1_HandshakeRequest__Output, _ecigw_tunnel_v1_HandshakeResponse>;
  
  /**
   * Every pod of the caller's tenant and cluster.
   */
  ListPods: grpc.handleUnaryCall<_ecigw_tunnel_v1_ListPodsRequest__Output, _ecigw_tunnel_v1_ListPodsResponse>;
  
  Logs: grpc.handleServerStreamingCall<_ecigw_tunnel_v1_LogsRequest__Output, _ecigw_tunnel_v1_LogChunk>;
  
  PortForward: grpc.handleBidiStreamingCall<_ecigw_tunnel_v1_PortForwardInput__Output, _ecigw_tunnel_v1_PortForwardOutput>;
  
  /**
   * Full agent inventory in, differences out; sent on every (re)connect.
   */
  Reconcile: grpc.handleUnaryCall<_ecigw_tunnel_v1_ReconcileRequest__Output, _ecigw_tunnel_v1_ReconcileResponse>;
  
  /**
   * One TCP connection of Service traffic to a burst pod (networking mode `tunnel`): the same messages as
   * PortForward, admitted against the caps of Service connections instead of interactive sessions.
   */
  ServiceConnection: grpc.handleBidiStreamingCall<_ecigw_tunnel_v1_PortForwardInput__Output, _ecigw_tunnel_v1_PortForwardOutput>;
  
  /**
   * Resource usage for the kubelet stats summary.
   */
  Stats: grpc.handleUnaryCall<_ecigw_tunnel_v1_StatsRequest__Output, _ecigw_tunnel_v1_StatsResponse>;
  
  /**
   * Pod status deltas, resumable from (epoch, seq), with periodic bookmarks.
   */
  WatchStatus: grpc.handleServerStreamingCall<_ecigw_tunnel_v1_WatchStatusRequest__Output, _ecigw_tunnel_v1_StatusEvent>;
  
}

export interface TunnelDefinition extends grpc.ServiceDefinition {
  ApplyPod: MethodDefinition<_ecigw_tunnel_v1_ApplyPodRequest, _ecigw_tunnel_v1_PodAck, _ecigw_tunnel_v1_ApplyPodRequest__Output, _ecigw_tunnel_v1_PodAck__Output>
  Attach: MethodDefinition<_ecigw_tunnel_v1_ExecInput, _ecigw_tunnel_v1_ExecOutput, _ecigw_tunnel_v1_ExecInput__Output, _ecigw_tunnel_v1_ExecOutput__Output>
  Capacity: MethodDefinition<_ecigw_tunnel_v1_CapacityRequest, _ecigw_tunnel_v1_CapacityResponse, _ecigw_tunnel_v1_CapacityRequest__Output, _ecigw_tunnel_v1_CapacityResponse__Output>
  DeletePod: MethodDefinition<_ecigw_tunnel_v1_DeletePodRequest, _ecigw_tunnel_v1_DeletePodResponse, _ecigw_tunnel_v1_DeletePodRequest__Output, _ecigw_tunnel_v1_DeletePodResponse__Output>
  Egress: MethodDefinition<_ecigw_tunnel_v1_EgressUpdate, _ecigw_tunnel_v1_EgressDial, _ecigw_tunnel_v1_EgressUpdate__Output, _ecigw_tunnel_v1_EgressDial__Output>
  EgressConnection: MethodDefinition<_ecigw_tunnel_v1_PortForwardInput, _ecigw_tunnel_v1_PortForwardOutput, _ecigw_tunnel_v1_PortForwardInput__Output, _ecigw_tunnel_v1_PortForwardOutput__Output>
  Exec: MethodDefinition<_ecigw_tunnel_v1_ExecInput, _ecigw_tunnel_v1_ExecOutput, _ecigw_tunnel_v1_ExecInput__Output, _ecigw_tunnel_v1_ExecOutput__Output>
  GetPod: MethodDefinition<_ecigw_tunnel_v1_GetPodRequest, _ecigw_tunnel_v1_PodState, _ecigw_tunnel_v1_GetPodRequest__Output, _ecigw_tunnel_v1_PodState__Output>
  Handshake: MethodDefinition<_ecigw_tunnel_v1_HandshakeRequest, _ecigw_tunnel_v1_HandshakeResponse, _ecigw_tunnel_v1_HandshakeRequest__Output, _ecigw_tunnel_v1_HandshakeResponse__Output>
  ListPods: MethodDefinition<_ecigw_tunnel_v1_ListPodsRequest, _ecigw_tunnel_v1_ListPodsResponse, _ecigw_tunnel_v1_ListPodsRequest__Output, _ecigw_tunnel_v1_ListPodsResponse__Output>
  Logs: MethodDefinition<_ecigw_tunnel_v1_LogsRequest, _ecigw_tunnel_v1_LogChunk, _ecigw_tunnel_v1_LogsRequest__Output, _ecigw_tunnel_v1_LogChunk__Output>
  PortForward: MethodDefinition<_ecigw_tunnel_v1_PortForwardInput, _ecigw_tunnel_v1_PortForwardOutput, _ecigw_tunnel_v1_PortForwardInput__Output, _ecigw_tunnel_v1_PortForwardOutput__Output>
  Reconcile: MethodDefinition<_ecigw_tunnel_v1_ReconcileRequest, _ecigw_tunnel_v1_ReconcileResponse, _ecigw_tunnel_v1_ReconcileRequest__Output, _ecigw_tunnel_v1_ReconcileResponse__Output>
  ServiceConnection: MethodDefinition<_ecigw_tunnel_v1_PortForwardInput, _ecigw_tunnel_v1_PortForwardOutput, _ecigw_tunnel_v1_PortForwardInput__Output, _ecigw_tunnel_v1_PortForwardOutput__Output>
  Stats: MethodDefinition<_ecigw_tunnel_v1_StatsRequest, _ecigw_tunnel_v1_StatsResponse, _ecigw_tunnel_v1_StatsRequest__Output, _ecigw_tunnel_v1_StatsResponse__Output>
  WatchStatus: MethodDefinition<_ecigw_tunnel_v1_WatchStatusRequest, _ecigw_tunnel_v1_StatusEvent, _ecigw_tunnel_v1_WatchStatusRequest__Output, _ecigw_tunnel_v1_StatusEvent__Output>
}
