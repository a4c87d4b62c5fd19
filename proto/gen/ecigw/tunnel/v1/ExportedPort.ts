// Original file: proto/ecigw/tunnel/v1/tunnel.proto


export interface ExportedPort {
  'name'?: (string);
  'port'?: (number);
}

export interface ExportedPort__Output {
  'name': (string);
  'port': (number);
}
