#!/usr/bin/env bash
# Regenerates the TypeScript types in proto/gen/ from proto/ecigw/tunnel/v1/tunnel.proto and
# proto/ecigw/egress/v1/egress.proto.
# Options must match proto/load.ts (keepCase false, longs Number, enums String, defaults, oneofs).
# Usage: proto/generate.sh [outDir]   (default proto/gen; the drift test writes to a temp dir)
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
out="${1:-$here/gen}"
rm -rf "$out"
"$here/../node_modules/.bin/proto-loader-gen-types" \
  --longs=Number --enums=String --defaults --oneofs --includeComments \
  --grpcLib=@grpc/grpc-js --importFileExtension=.js -I "$here" -O "$out" ecigw/tunnel/v1/tunnel.proto ecigw/egress/v1/egress.proto >/dev/null
# Make the "Original file" header repository-relative so output does not depend on the checkout path.
find "$out" -name '*.ts' -exec sed -i "s#^// Original file: .*/proto/#// Original file: proto/#" {} +
