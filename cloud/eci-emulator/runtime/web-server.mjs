// Tiny web server run as its own process for web images (nginx, httpd, eci-emulator/web) in the process runtime.
// Listens on every port in ECI_WEB_PORTS (default 80) at ECI_POD_IP; serves files from $ECI_GROUP_ROOT/usr/share/nginx/html
// or htdocs when present, else a small text page; writes an access log line per request to stdout.
import { createServer } from 'node:http';
import { readFile } from 'node:fs/promises';
import { join, normalize } from 'node:path';

const host = process.env.ECI_POD_IP || '127.0.0.1';
const ports = (process.env.ECI_WEB_PORTS || '80').split(',').map(Number).filter((p) => p > 0);
const root = process.env.ECI_GROUP_ROOT || '/nonexistent';
const docRoots = [join(root, 'usr/share/nginx/html'), join(root, 'usr/local/apache2/htdocs')];
const servers = [];

async function serveFile(url) {
  const rel = normalize(decodeURIComponent(url.split('?')[0])).replace(/^(\.\.[/\\])+/, '');
  for (const dir of docRoots) {
    const file = join(dir, rel.endsWith('/') ? rel + 'index.html' : rel);
    if (!file.startsWith(dir)) continue;
    try {
      return await readFile(file);
    } catch {
      // not there: try the next root
    }
  }
  return undefined;
}

for (const port of ports) {
  const server = createServer(async (req, res) => {
    const body = (await serveFile(req.url || '/')) ?? Buffer.from(`eci-emulator web: ${process.env.HOSTNAME || ''} ${req.method} ${req.url}\n`);
    res.writeHead(200, { 'content-type': 'text/html', 'content-length': body.length, server: 'eci-emulator-web' });
    res.end(req.method === 'HEAD' ? undefined : body);
    process.stdout.write(`${host} - - [${new Date().toISOString()}] "${req.method} ${req.url} HTTP/${req.httpVersion}" 200 ${body.length}\n`);
  });
  // Like nginx, answer a request whose client already half-closed (sent the request, then FIN): Node's
  // default ends the socket on the client's FIN and drops a response that is still being prepared.
  server.httpAllowHalfOpen = true;
  server.on('error', (err) => {
    process.stderr.write(`web: cannot listen on ${host}:${port}: ${err.message}\n`);
    process.exit(1);
  });
  server.listen(port, host, () => process.stdout.write(`web: listening on ${host}:${port}\n`));
  servers.push(server);
}

const stop = () => {
  process.stdout.write('web: shutting down\n');
  for (const s of servers) s.close();
  setTimeout(() => process.exit(0), 50).unref();
};
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
