// The same kubectl sessions with the node NOT declaring WebSocket streaming: the API server then speaks
// SPDY/3.1 to the kubelet API (as every apiserver before 1.36 does).
process.env.ECIGW_TEST_SPDY = '1';
await import('./kubectl-sessions.test.js');
