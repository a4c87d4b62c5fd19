// Original file: proto/ecigw/egress/v1/egress.proto

import type { ExportEntry as _ecigw_egress_v1_ExportEntry, ExportEntry__Output as _ecigw_egress_v1_ExportEntry__Output } from '../../../ecigw/egress/v1/ExportEntry.js';

export interface ExportList {
  'services'?: (_ecigw_egress_v1_ExportEntry)[];
}

export interface ExportList__Output {
  'services': (_ecigw_egress_v1_ExportEntry__Output)[];
}
