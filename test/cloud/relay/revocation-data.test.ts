// The revocation suite with session data connections on: exec/attach/port-forward output beside the gRPC stream
// (proto/data-connection.ts), everything else the same.
process.env.ECIGW_TEST_DATA_CONN = '1';
await import('./revocation.test.js');
