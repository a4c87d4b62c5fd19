import type * as grpc from '@grpc/grpc-js';
import type { MessageTypeDefinition } from '@grpc/proto-loader';

import type { ApplyPodRequest as _ecigw_tunnel_v1_ApplyPodRequest, ApplyPodRequest__Output as _ecigw_tunnel_v1_ApplyPodRequest__Output } from './ecigw/tunnel/v1/ApplyPodRequest.js';
import type { Bookmark as _ecigw_tunnel_v1_Bookmark, Bookmark__Output as _ecigw_tunnel_v1_Bookmark__Output } from './ecigw/tunnel/v1/Bookmark.js';
import type { Cap as _ecigw_tunnel_v1_Cap, Cap__Output as _ecigw_tunnel_v1_Cap__Output } from './ecigw/tunnel/v1/Cap.js';
import type { CapacityRequest as _ecigw_tunnel_v1_CapacityRequest, CapacityRequest__Output as _ecigw_tunnel_v1_CapacityRequest__Output } from './ecigw/tunnel/v1/CapacityRequest.js';
import type { CapacityResponse as _ecigw_tunnel_v1_CapacityResponse, CapacityResponse__Output as _ecigw_tunnel_v1_CapacityResponse__Output } from './ecigw/tunnel/v1/CapacityResponse.js';
import type { ContainerStats as _ecigw_tunnel_v1_ContainerStats, ContainerStats__Output as _ecigw_tunnel_v1_ContainerStats__Output } from './ecigw/tunnel/v1/ContainerStats.js';
import type { DeletePodRequest as _ecigw_tunnel_v1_DeletePodRequest, DeletePodRequest__Output as _ecigw_tunnel_v1_DeletePodRequest__Output } from './ecigw/tunnel/v1/DeletePodRequest.js';
import type { DeletePodResponse as _ecigw_tunnel_v1_DeletePodResponse, DeletePodResponse__Output as _ecigw_tunnel_v1_DeletePodResponse__Output } from './ecigw/tunnel/v1/DeletePodResponse.js';
import type { EgressDial as _ecigw_tunnel_v1_EgressDial, EgressDial__Output as _ecigw_tunnel_v1_EgressDial__Output } from './ecigw/tunnel/v1/EgressDial.js';
import type { EgressOpen as _ecigw_tunnel_v1_EgressOpen, EgressOpen__Output as _ecigw_tunnel_v1_EgressOpen__Output } from './ecigw/tunnel/v1/EgressOpen.js';
import type { EgressUpdate as _ecigw_tunnel_v1_EgressUpdate, EgressUpdate__Output as _ecigw_tunnel_v1_EgressUpdate__Output } from './ecigw/tunnel/v1/EgressUpdate.js';
import type { EnvValues as _ecigw_tunnel_v1_EnvValues, EnvValues__Output as _ecigw_tunnel_v1_EnvValues__Output } from './ecigw/tunnel/v1/EnvValues.js';
import type { ExecInput as _ecigw_tunnel_v1_ExecInput, ExecInput__Output as _ecigw_tunnel_v1_ExecInput__Output } from './ecigw/tunnel/v1/ExecInput.js';
import type { ExecOutput as _ecigw_tunnel_v1_ExecOutput, ExecOutput__Output as _ecigw_tunnel_v1_ExecOutput__Output } from './ecigw/tunnel/v1/ExecOutput.js';
import type { ExecStart as _ecigw_tunnel_v1_ExecStart, ExecStart__Output as _ecigw_tunnel_v1_ExecStart__Output } from './ecigw/tunnel/v1/ExecStart.js';
import type { ExitStatus as _ecigw_tunnel_v1_ExitStatus, ExitStatus__Output as _ecigw_tunnel_v1_ExitStatus__Output } from './ecigw/tunnel/v1/ExitStatus.js';
import type { ExportedPort as _ecigw_tunnel_v1_ExportedPort, ExportedPort__Output as _ecigw_tunnel_v1_ExportedPort__Output } from './ecigw/tunnel/v1/ExportedPort.js';
import type { ExportedService as _ecigw_tunnel_v1_ExportedService, ExportedService__Output as _ecigw_tunnel_v1_ExportedService__Output } from './ecigw/tunnel/v1/ExportedService.js';
import type { FileContent as _ecigw_tunnel_v1_FileContent, FileContent__Output as _ecigw_tunnel_v1_FileContent__Output } from './ecigw/tunnel/v1/FileContent.js';
import type { GetPodRequest as _ecigw_tunnel_v1_GetPodRequest, GetPodRequest__Output as _ecigw_tunnel_v1_GetPodRequest__Output } from './ecigw/tunnel/v1/GetPodRequest.js';
import type { HandshakeRequest as _ecigw_tunnel_v1_HandshakeRequest, HandshakeRequest__Output as _ecigw_tunnel_v1_HandshakeRequest__Output } from './ecigw/tunnel/v1/HandshakeRequest.js';
import type { HandshakeResponse as _ecigw_tunnel_v1_HandshakeResponse, HandshakeResponse__Output as _ecigw_tunnel_v1_HandshakeResponse__Output } from './ecigw/tunnel/v1/HandshakeResponse.js';
import type { InventoryEntry as _ecigw_tunnel_v1_InventoryEntry, InventoryEntry__Output as _ecigw_tunnel_v1_InventoryEntry__Output } from './ecigw/tunnel/v1/InventoryEntry.js';
import type { Limits as _ecigw_tunnel_v1_Limits, Limits__Output as _ecigw_tunnel_v1_Limits__Output } from './ecigw/tunnel/v1/Limits.js';
import type { ListPodsRequest as _ecigw_tunnel_v1_ListPodsRequest, ListPodsRequest__Output as _ecigw_tunnel_v1_ListPodsRequest__Output } from './ecigw/tunnel/v1/ListPodsRequest.js';
import type { ListPodsResponse as _ecigw_tunnel_v1_ListPodsResponse, ListPodsResponse__Output as _ecigw_tunnel_v1_ListPodsResponse__Output } from './ecigw/tunnel/v1/ListPodsResponse.js';
import type { LogChunk as _ecigw_tunnel_v1_LogChunk, LogChunk__Output as _ecigw_tunnel_v1_LogChunk__Output } from './ecigw/tunnel/v1/LogChunk.js';
import type { LogsRequest as _ecigw_tunnel_v1_LogsRequest, LogsRequest__Output as _ecigw_tunnel_v1_LogsRequest__Output } from './ecigw/tunnel/v1/LogsRequest.js';
import type { Orphan as _ecigw_tunnel_v1_Orphan, Orphan__Output as _ecigw_tunnel_v1_Orphan__Output } from './ecigw/tunnel/v1/Orphan.js';
import type { PodAck as _ecigw_tunnel_v1_PodAck, PodAck__Output as _ecigw_tunnel_v1_PodAck__Output } from './ecigw/tunnel/v1/PodAck.js';
import type { PodEvent as _ecigw_tunnel_v1_PodEvent, PodEvent__Output as _ecigw_tunnel_v1_PodEvent__Output } from './ecigw/tunnel/v1/PodEvent.js';
import type { PodIntent as _ecigw_tunnel_v1_PodIntent, PodIntent__Output as _ecigw_tunnel_v1_PodIntent__Output } from './ecigw/tunnel/v1/PodIntent.js';
import type { PodState as _ecigw_tunnel_v1_PodState, PodState__Output as _ecigw_tunnel_v1_PodState__Output } from './ecigw/tunnel/v1/PodState.js';
import type { PodStats as _ecigw_tunnel_v1_PodStats, PodStats__Output as _ecigw_tunnel_v1_PodStats__Output } from './ecigw/tunnel/v1/PodStats.js';
import type { PortForwardInput as _ecigw_tunnel_v1_PortForwardInput, PortForwardInput__Output as _ecigw_tunnel_v1_PortForwardInput__Output } from './ecigw/tunnel/v1/PortForwardInput.js';
import type { PortForwardOutput as _ecigw_tunnel_v1_PortForwardOutput, PortForwardOutput__Output as _ecigw_tunnel_v1_PortForwardOutput__Output } from './ecigw/tunnel/v1/PortForwardOutput.js';
import type { PortForwardStart as _ecigw_tunnel_v1_PortForwardStart, PortForwardStart__Output as _ecigw_tunnel_v1_PortForwardStart__Output } from './ecigw/tunnel/v1/PortForwardStart.js';
import type { ReconcileRequest as _ecigw_tunnel_v1_ReconcileRequest, ReconcileRequest__Output as _ecigw_tunnel_v1_ReconcileRequest__Output } from './ecigw/tunnel/v1/ReconcileRequest.js';
import type { ReconcileResponse as _ecigw_tunnel_v1_ReconcileResponse, ReconcileResponse__Output as _ecigw_tunnel_v1_ReconcileResponse__Output } from './ecigw/tunnel/v1/ReconcileResponse.js';
import type { RegistryCredential as _ecigw_tunnel_v1_RegistryCredential, RegistryCredential__Output as _ecigw_tunnel_v1_RegistryCredential__Output } from './ecigw/tunnel/v1/RegistryCredential.js';
import type { SnapshotMarker as _ecigw_tunnel_v1_SnapshotMarker, SnapshotMarker__Output as _ecigw_tunnel_v1_SnapshotMarker__Output } from './ecigw/tunnel/v1/SnapshotMarker.js';
import type { StatsRequest as _ecigw_tunnel_v1_StatsRequest, StatsRequest__Output as _ecigw_tunnel_v1_StatsRequest__Output } from './ecigw/tunnel/v1/StatsRequest.js';
import type { StatsResponse as _ecigw_tunnel_v1_StatsResponse, StatsResponse__Output as _ecigw_tunnel_v1_StatsResponse__Output } from './ecigw/tunnel/v1/StatsResponse.js';
import type { StatusEvent as _ecigw_tunnel_v1_StatusEvent, StatusEvent__Output as _ecigw_tunnel_v1_StatusEvent__Output } from './ecigw/tunnel/v1/StatusEvent.js';
import type { TerminalSize as _ecigw_tunnel_v1_TerminalSize, TerminalSize__Output as _ecigw_tunnel_v1_TerminalSize__Output } from './ecigw/tunnel/v1/TerminalSize.js';
import type { TunnelClient as _ecigw_tunnel_v1_TunnelClient, TunnelDefinition as _ecigw_tunnel_v1_TunnelDefinition } from './ecigw/tunnel/v1/Tunnel.js';
import type { VolumeFiles as _ecigw_tunnel_v1_VolumeFiles, VolumeFiles__Output as _ecigw_tunnel_v1_VolumeFiles__Output } from './ecigw/tunnel/v1/VolumeFiles.js';
import type { WatchStatusRequest as _ecigw_tunnel_v1_WatchStatusRequest, WatchStatusRequest__Output as _ecigw_tunnel_v1_WatchStatusRequest__Output } from './ecigw/tunnel/v1/WatchStatusRequest.js';

type SubtypeConstructor<Constructor extends new (...args: any) => any, Subtype> = {
  new(...args: ConstructorParameters<Constructor>): Subtype;
};

export interface ProtoGrpcType {
  ecigw: {
    tunnel: {
      v1: {
        ApplyPodRequest: MessageTypeDefinition<_ecigw_tunnel_v1_ApplyPodRequest, _ecigw_tunnel_v1_ApplyPodRequest__Output>
        Bookmark: MessageTypeDefinition<_ecigw_tunnel_v1_Bookmark, _ecigw_tunnel_v1_Bookmark__Output>
        Cap: MessageTypeDefinition<_ecigw_tunnel_v1_Cap, _ecigw_tunnel_v1_Cap__Output>
        CapacityRequest: MessageTypeDefinition<_ecigw_tunnel_v1_CapacityRequest, _ecigw_tunnel_v1_CapacityRequest__Output>
        CapacityResponse: MessageTypeDefinition<_ecigw_tunnel_v1_CapacityResponse, _ecigw_tunnel_v1_CapacityResponse__Output>
        ContainerStats: MessageTypeDefinition<_ecigw_tunnel_v1_ContainerStats, _ecigw_tunnel_v1_ContainerStats__Output>
        DeletePodRequest: MessageTypeDefinition<_ecigw_tunnel_v1_DeletePodRequest, _ecigw_tunnel_v1_DeletePodRequest__Output>
        DeletePodResponse: MessageTypeDefinition<_ecigw_tunnel_v1_DeletePodResponse, _ecigw_tunnel_v1_DeletePodResponse__Output>
        EgressDial: MessageTypeDefinition<_ecigw_tunnel_v1_EgressDial, _ecigw_tunnel_v1_EgressDial__Output>
        EgressOpen: MessageTypeDefinition<_ecigw_tunnel_v1_EgressOpen, _ecigw_tunnel_v1_EgressOpen__Output>
        EgressUpdate: MessageTypeDefinition<_ecigw_tunnel_v1_EgressUpdate, _ecigw_tunnel_v1_EgressUpdate__Output>
        EnvValues: MessageTypeDefinition<_ecigw_tunnel_v1_EnvValues, _ecigw_tunnel_v1_EnvValues__Output>
        ExecInput: MessageTypeDefinition<_ecigw_tunnel_v1_ExecInput, _ecigw_tunnel_v1_ExecInput__Output>
        ExecOutput: MessageTypeDefinition<_ecigw_tunnel_v1_ExecOutput, _ecigw_tunnel_v1_ExecOutput__Output>
        ExecStart: MessageTypeDefinition<_ecigw_tunnel_v1_ExecStart, _ecigw_tunnel_v1_ExecStart__Output>
        ExitStatus: MessageTypeDefinition<_ecigw_tunnel_v1_ExitStatus, _ecigw_tunnel_v1_ExitStatus__Output>
        ExportedPort: MessageTypeDefinition<_ecigw_tunnel_v1_ExportedPort, _ecigw_tunnel_v1_ExportedPort__Output>
        ExportedService: MessageTypeDefinition<_ecigw_tunnel_v1_ExportedService, _ecigw_tunnel_v1_ExportedService__Output>
        FileContent: MessageTypeDefinition<_ecigw_tunnel_v1_FileContent, _ecigw_tunnel_v1_FileContent__Output>
        GetPodRequest: MessageTypeDefinition<_ecigw_tunnel_v1_GetPodRequest, _ecigw_tunnel_v1_GetPodRequest__Output>
        HandshakeRequest: MessageTypeDefinition<_ecigw_tunnel_v1_HandshakeRequest, _ecigw_tunnel_v1_HandshakeRequest__Output>
        HandshakeResponse: MessageTypeDefinition<_ecigw_tunnel_v1_HandshakeResponse, _ecigw_tunnel_v1_HandshakeResponse__Output>
        InventoryEntry: MessageTypeDefinition<_ecigw_tunnel_v1_InventoryEntry, _ecigw_tunnel_v1_InventoryEntry__Output>
        Limits: MessageTypeDefinition<_ecigw_tunnel_v1_Limits, _ecigw_tunnel_v1_Limits__Output>
        ListPodsRequest: MessageTypeDefinition<_ecigw_tunnel_v1_ListPodsRequest, _ecigw_tunnel_v1_ListPodsRequest__Output>
        ListPodsResponse: MessageTypeDefinition<_ecigw_tunnel_v1_ListPodsResponse, _ecigw_tunnel_v1_ListPodsResponse__Output>
        LogChunk: MessageTypeDefinition<_ecigw_tunnel_v1_LogChunk, _ecigw_tunnel_v1_LogChunk__Output>
        LogsRequest: MessageTypeDefinition<_ecigw_tunnel_v1_LogsRequest, _ecigw_tunnel_v1_LogsRequest__Output>
        Orphan: MessageTypeDefinition<_ecigw_tunnel_v1_Orphan, _ecigw_tunnel_v1_Orphan__Output>
        PodAck: MessageTypeDefinition<_ecigw_tunnel_v1_PodAck, _ecigw_tunnel_v1_PodAck__Output>
        PodEvent: MessageTypeDefinition<_ecigw_tunnel_v1_PodEvent, _ecigw_tunnel_v1_PodEvent__Output>
        PodIntent: MessageTypeDefinition<_ecigw_tunnel_v1_PodIntent, _ecigw_tunnel_v1_PodIntent__Output>
        PodState: MessageTypeDefinition<_ecigw_tunnel_v1_PodState, _ecigw_tunnel_v1_PodState__Output>
        PodStats: MessageTypeDefinition<_ecigw_tunnel_v1_PodStats, _ecigw_tunnel_v1_PodStats__Output>
        PortForwardInput: MessageTypeDefinition<_ecigw_tunnel_v1_PortForwardInput, _ecigw_tunnel_v1_PortForwardInput__Output>
        PortForwardOutput: MessageTypeDefinition<_ecigw_tunnel_v1_PortForwardOutput, _ecigw_tunnel_v1_PortForwardOutput__Output>
        PortForwardStart: MessageTypeDefinition<_ecigw_tunnel_v1_PortForwardStart, _ecigw_tunnel_v1_PortForwardStart__Output>
        ReconcileRequest: MessageTypeDefinition<_ecigw_tunnel_v1_ReconcileRequest, _ecigw_tunnel_v1_ReconcileRequest__Output>
        ReconcileResponse: MessageTypeDefinition<_ecigw_tunnel_v1_ReconcileResponse, _ecigw_tunnel_v1_ReconcileResponse__Output>
        RegistryCredential: MessageTypeDefinition<_ecigw_tunnel_v1_RegistryCredential, _ecigw_tunnel_v1_RegistryCredential__Output>
        SnapshotMarker: MessageTypeDefinition<_ecigw_tunnel_v1_SnapshotMarker, _ecigw_tunnel_v1_SnapshotMarker__Output>
        StatsRequest: MessageTypeDefinition<_ecigw_tunnel_v1_StatsRequest, _ecigw_tunnel_v1_StatsRequest__Output>
        StatsResponse: MessageTypeDefinition<_ecigw_tunnel_v1_StatsResponse, _ecigw_tunnel_v1_StatsResponse__Output>
        StatusEvent: MessageTypeDefinition<_ecigw_tunnel_v1_StatusEvent, _ecigw_tunnel_v1_StatusEvent__Output>
        TerminalSize: MessageTypeDefinition<_ecigw_tunnel_v1_TerminalSize, _ecigw_tunnel_v1_TerminalSize__Output>
        Tunnel: SubtypeConstructor<typeof grpc.Client, _ecigw_tunnel_v1_TunnelClient> & { service: _ecigw_tunnel_v1_TunnelDefinition }
        VolumeFiles: MessageTypeDefinition<_ecigw_tunnel_v1_VolumeFiles, _ecigw_tunnel_v1_VolumeFiles__Output>
        WatchStatusRequest: MessageTypeDefinition<_ecigw_tunnel_v1_WatchStatusRequest, _ecigw_tunnel_v1_WatchStatusRequest__Output>
      }
    }
  }
}

