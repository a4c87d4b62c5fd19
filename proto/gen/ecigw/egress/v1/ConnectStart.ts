// Original file: proto/ecigw/egress/v1/egress.proto


export interface ConnectStart {
  'namespace'?: (string);
  'name'?: (string);
  'port'?: (number);
}

export interface ConnectStart__Output {
  'namespace': (string);
  'name': (string);
  'port': (number);
}
