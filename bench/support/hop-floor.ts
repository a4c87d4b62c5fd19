// The least a Node gateway can spend on the inbound path: the same hops as agent and relay (client → a plain
// TCP listener → TLS over loopback → a TLS listener → the pod's port), each process doing nothing but
// `pipe()` both ways. The dataplane bench runs two of these with the images' Node flags beside the real
// agent and relay, so "through the agent" can be read against what the hop count itself costs on the
// machine, in the same run.
//   hop-floor.ts tls-end <ciphers> <cert.pem> <key.pem> <host> <port>   TLS listener; each connection → <host>:<port>
//   hop-floor.ts plain-end <ciphers> <ca.pem> <tlsPort>                 TCP listener; each connection → TLS to 127.0.0.1:<tlsPort>
// <ciphers>: the data connections' cipher list (proto/data-connection.ts DATA_TLS_CIPHERS).
// Prints one JSON line {"port":N} once listening; runs until killed.
// Runs under plain node (type stripping): no tsx, no imports beyond node:.
import { readFileSync } from 'node:fs';
import { createServer, connect, type Socket } from 'node:net';
import { createServer as createTlsServer, connect as connectTls, type ConnectionOptions } from 'node:tls';

const [mode, ciphers, ...rest] = process.argv.slice(2);

/** Both ways, half-closes included; either side failing drops the other. */
function join(a: Socket, b: Socket): void {
  a.setNoDelay(true);
  b.setNoDelay(true);
  a.on('error', () => b.destroy());
  b.on('error', () => a.destroy());
  a.pipe(b);
  b.pipe(a);
}

function listening(server: { address(): unknown }): void {
  process.stdout.write(`${JSON.stringify({ port: (server.address() as { port: number }).port })}\n`);
}

if (mode === 'tls-end' && rest.length === 4) {
  const [cert, key, host, port] = rest;
  const server = createTlsServer({ cert: readFileSync(cert), key: readFileSync(key), ciphers, honorCipherOrder: true, allowHalfOpen: true }, (s) => join(s, connect({ host, port: Number(port), allowHalfOpen: true })));
  server.listen(0, '127.0.0.1', () => listening(server));
} else if (mode === 'plain-end' && rest.length === 2) {
  const [ca, tlsPort] = rest;
  // Half-open as the agent's data connections are (tls.connect passes it to the socket; @types/node does not list it).
  const options: ConnectionOptions & { allowHalfOpen: boolean } = { host: '127.0.0.1', port: Number(tlsPort), ca: readFileSync(ca), servername: 'localhost', ciphers, allowHalfOpen: true };
  const server = createServer({ allowHalfOpen: true }, (s) => join(s, connectTls(options)));
  server.listen(0, '127.0.0.1', () => listening(server));
} else {
  process.stderr.write('usage: hop-floor.ts tls-end <ciphers> <cert> <key> <host> <port> | plain-end <ciphers> <ca> <tlsPort>\n');
  process.exit(1);
}
