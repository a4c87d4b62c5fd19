// The tunnel adapter is the one place that maps gRPC status codes to the PodTunnel port's error kinds:
// every status code has a kind, TunnelError carries both, and the pod logic's is-helpers answer for
// typed errors only (an untyped error that merely has a `code` field is not recognised).
import test from 'ava';
import * as grpc from '@grpc/grpc-js';
import { kindOfStatus, toTunnelError, TunnelError } from '../../../agent/tunnel/errors.js';
import { isFailedPrecondition, isInvalidArgument, PodTunnelError, type TunnelErrorKind } from '../../../agent/pods/tunnel-errors.js';

const TABLE: [grpc.status, TunnelErrorKind][] = [
  [grpc.status.OK, 'Unknown'],
  [grpc.status.CANCELLED, 'Unknown'],
  [grpc.status.UNKNOWN, 'Unknown'],
  [grpc.status.INVALID_ARGUMENT, 'InvalidArgument'],
  [grpc.status.DEADLINE_EXCEEDED, 'Unavailable'],
  [grpc.status.NOT_FOUND, 'NotFound'],
  [grpc.status.ALREADY_EXISTS, 'Unknown'],
  [grpc.status.PERMISSION_DENIED, 'PermissionDenied'],
  [grpc.status.RESOURCE_EXHAUSTED, 'ResourceExhausted'],
  [grpc.status.FAILED_PRECONDITION, 'FailedPrecondition'],
  [grpc.status.ABORTED, 'Unknown'],
  [grpc.status.OUT_OF_RANGE, 'InvalidArgument'],
  [grpc.status.UNIMPLEMENTED, 'Unknown'],
  [grpc.status.INTERNAL, 'Unknown'],
  [grpc.status.UNAVAILABLE, 'Unavailable'],
  [grpc.status.DATA_LOSS, 'Unknown'],
  [grpc.status.UNAUTHENTICATED, 'PermissionDenied'],
];

test('every gRPC status code maps to a kind', (t) => {
  const codes = Object.values(grpc.status).filter((v): v is number => typeof v === 'number');
  t.deepEqual(TABLE.map(([c]) => c).sort((a, b) => a - b), codes.sort((a, b) => a - b), 'the table covers every status code');
  for (const [code, kind] of TABLE) t.is(kindOfStatus(code), kind, grpc.status[code]);
});

test('TunnelError keeps its code and is a typed PodTunnelError of the matching kind', (t) => {
  const e = new TunnelError(grpc.status.INVALID_ARGUMENT, 'intent.uid is not a valid pod UID', 'req-1');
  t.true(e instanceof PodTunnelError);
  t.is(e.code, grpc.status.INVALID_ARGUMENT);
  t.is(e.kind, 'InvalidArgument');
  t.is(e.requestId, 'req-1');
  t.is(e.name, 'TunnelError');
  t.true(isInvalidArgument(e));
  t.false(isFailedPrecondition(e));
  t.true(isFailedPrecondition(new TunnelError(grpc.status.FAILED_PRECONDITION, 'x')));
});

test('toTunnelError types a grpc-js ServiceError and any other failure', (t) => {
  const se = Object.assign(new Error('3 INVALID_ARGUMENT: bad'), { code: grpc.status.INVALID_ARGUMENT, details: 'bad', metadata: new grpc.Metadata() });
  const typed = toTunnelError(se, 'r');
  t.is(typed.kind, 'InvalidArgument');
  t.is(typed.message, 'bad');
  t.true(isInvalidArgument(typed));
  const other = toTunnelError(new Error('boom'));
  t.is(other.code, grpc.status.UNKNOWN);
  t.is(other.kind, 'Unknown');
  t.is(toTunnelError(typed), typed, 'a TunnelError passes through');
});

test('the is-helpers answer for typed errors only', (t) => {
  t.false(isInvalidArgument(Object.assign(new Error('untyped'), { code: grpc.status.INVALID_ARGUMENT })));
  t.false(isInvalidArgument(undefined));
  t.false(isFailedPrecondition({ kind: 'FailedPrecondition' }));
  t.true(isFailedPrecondition(new PodTunnelError('FailedPrecondition', 'typed by another adapter')));
});
