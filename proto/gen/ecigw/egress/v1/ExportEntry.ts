// Original file: proto/ecigw/egress/v1/egress.proto


export interface ExportEntry {
  'namespace'?: (string);
  'name'?: (string);
  'ports'?: (number)[];
}

export interface ExportEntry__Output {
  'namespace': (string);
  'name': (string);
  'ports': (number)[];
}
