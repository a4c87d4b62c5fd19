import type * as grpc from '@grpc/grpc-js';
import type { MessageTypeDefinition } from '@grpc/proto-loader';

import type { Chunk as _ecigw_egress_v1_Chunk, Chunk__Output as _ecigw_egress_v1_Chunk__Output } from './ecigw/egress/v1/Chunk.js';
import type { ConnectStart as _ecigw_egress_v1_ConnectStart, ConnectStart__Output as _ecigw_egress_v1_ConnectStart__Output } from './ecigw/egress/v1/ConnectStart.js';
import type { EgressClient as _ecigw_egress_v1_EgressClient, EgressDefinition as _ecigw_egress_v1_EgressDefinition } from './ecigw/egress/v1/Egress.js';
import type { ExportEntry as _ecigw_egress_v1_ExportEntry, ExportEntry__Output as _ecigw_egress_v1_ExportEntry__Output } from './ecigw/egress/v1/ExportEntry.js';
import type { ExportList as _ecigw_egress_v1_ExportList, ExportList__Output as _ecigw_egress_v1_ExportList__Output } from './ecigw/egress/v1/ExportList.js';
import type { WatchExportsRequest as _ecigw_egress_v1_WatchExportsRequest, WatchExportsRequest__Output as _ecigw_egress_v1_WatchExportsRequest__Output } from './ecigw/egress/v1/WatchExportsRequest.js';

type SubtypeConstructor<Constructor extends new (...args: any) => any, Subtype> = {
  new(...args: ConstructorParameters<Constructor>): Subtype;
};

export interface ProtoGrpcType {
  ecigw: {
    egress: {
      v1: {
        Chunk: MessageTypeDefinition<_ecigw_egress_v1_Chunk, _ecigw_egress_v1_Chunk__Output>
        ConnectStart: MessageTypeDefinition<_ecigw_egress_v1_ConnectStart, _ecigw_egress_v1_ConnectStart__Output>
        Egress: SubtypeConstructor<typeof grpc.Client, _ecigw_egress_v1_EgressClient> & { service: _ecigw_egress_v1_EgressDefinition }
        ExportEntry: MessageTypeDefinition<_ecigw_egress_v1_ExportEntry, _ecigw_egress_v1_ExportEntry__Output>
        ExportList: MessageTypeDefinition<_ecigw_egress_v1_ExportList, _ecigw_egress_v1_ExportList__Output>
        WatchExportsRequest: MessageTypeDefinition<_ecigw_egress_v1_WatchExportsRequest, _ecigw_egress_v1_WatchExportsRequest__Output>
      }
    }
  }
}

