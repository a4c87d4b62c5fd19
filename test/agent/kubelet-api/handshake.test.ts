// The kubelet API's TLS listener against connections that never finish a handshake (a slowloris before TLS):
// each is closed after handshakeTimeoutMs instead of being held for Node's default 120 s (a 'tlsClientError'
// listener used to swallow the timeout and leave the socket open).
import test from 'ava';
import { connect } from 'node:net';
import { KubeConfig } from '@kubernetes/client-node';
import { startKubeletServer } from '../../../agent/kubelet-api/server.js';
import { createCa } from '../../../common/pki.js';
import { eventually } from '../../helpers/wait.js';
import { EchoBackend } from './fuzz/echo-backend.js';

test('connections that send nothing, or half a handshake, are closed after the handshake timeout', async (t) => {
  const ca = await createCa('kubelet-client-ca');
  const kubeConfig = new KubeConfig();
  // Never reached: no request gets past TLS here.
  kubeConfig.loadFromClusterAndUser({ name: 'c', server: 'https://127.0.0.1:9', skipTLSVerify: true }, { name: 'u', token: 'unused' });
  const server = await startKubeletServer({ host: '127.0.0.1', port: 0, nodeName: 'vk', clientCaPem: ca.certPem, kubeConfig, backend: new EchoBackend(0), handshakeTimeoutMs: 300 });
  t.teardown(() => server.close());
  const silent = connect({ host: '127.0.0.1', port: server.port });
  // A ClientHello's first bytes, then nothing.
  const halfHello = connect({ host: '127.0.0.1', port: server.port }, () => halfHello.write(Buffer.from([0x16, 0x03, 0x01, 0x02, 0x00, 0x01])));
  for (const s of [silent, halfHello]) {
    s.on('error', () => undefined);
    s.resume();
    t.teardown(() => s.destroy());
  }
  await eventually('both connections closed by the server', () => silent.destroyed && halfHello.destroyed, 5_000, 20);
  t.pass();
});
