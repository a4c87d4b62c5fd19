// Original file: proto/ecigw/tunnel/v1/tunnel.proto


export interface TerminalSize {
  'cols'?: (number);
  'rows'?: (number);
}

export interface TerminalSize__Output {
  'cols': (number);
  'rows': (number);
}
