// Original file: proto/ecigw/tunnel/v1/tunnel.proto


export interface LogChunk {
  'data'?: (Buffer | Uint8Array | string);
}

export interface LogChunk__Output {
  'data': (Buffer);
}
