// Loads the ecigw.tunnel.v1 and ecigw.egress.v1 packages with @grpc/proto-loader and exports the typed service
// definitions.
// Load options (must match proto/generate.sh): keepCase false (camelCase fields), longs as Number
// (int64 values here — generations, versions, sequence numbers, byte counts — stay below 2^53),
// enums as String, defaults true, oneofs true (virtual oneof name fields such as `msg`, `event`).
import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import type { ProtoGrpcType } from './gen/tunnel.js';
import type { TunnelDefinition } from './gen/ecigw/tunnel/v1/Tunnel.js';
import type { ProtoGrpcType as EgressProtoGrpcType } from './gen/egress.js';
import type { EgressDefinition } from './gen/ecigw/egress/v1/Egress.js';

export type * from './gen/ecigw/tunnel/v1/Tunnel.js';

const PROTO_ROOT = dirname(fileURLToPath(import.meta.url));
const PROTO_FILE = 'ecigw/tunnel/v1/tunnel.proto';

export const LOAD_OPTIONS: protoLoader.Options = {
  keepCase: false,
  longs: Number,
  enums: String,
  defaults: true,
  oneofs: true,
  includeDirs: [PROTO_ROOT],
};

const packageDefinition = protoLoader.loadSync(join(PROTO_ROOT, PROTO_FILE), LOAD_OPTIONS);
const loaded = grpc.loadPackageDefinition(packageDefinition) as unknown as ProtoGrpcType;

/** The typed service: `new TunnelServiceClient(...)` is a client, `tunnelServiceDefinition` the ServiceDefinition. */
export const TunnelServiceClient = loaded.ecigw.tunnel.v1.Tunnel;
export const tunnelServiceDefinition: TunnelDefinition = loaded.ecigw.tunnel.v1.Tunnel.service;

const egressLoaded = grpc.loadPackageDefinition(protoLoader.loadSync(join(PROTO_ROOT, 'ecigw/egress/v1/egress.proto'), LOAD_OPTIONS)) as unknown as EgressProtoGrpcType;

/** The egress sidecar's service (sidecar -> relay): the client constructor and the ServiceDefinition. */
export const EgressServiceClient = egressLoaded.ecigw.egress.v1.Egress;
export const egressServiceDefinition: EgressDefinition = egressLoaded.ecigw.egress.v1.Egress.service;
