// The server a dataplane bench pod runs (`command: [process.execPath, '-e', POD_SERVER]`, the emulator's process
// runtime): plain Node, no dependencies, bound to the pod's own address (ECI_POD_IP, 127.10.x.y), so the bench
// reaches the same program through the agent's listener and directly. The outbound sections run the same
// program as the on-prem server (support/dataplane-onprem.ts): ECI_POD_IP=127.0.0.1 and DP_ECHO_PORT /
// DP_BULK_PORT (0: any free port) instead of ECHO_PORT / BULK_PORT. Once both ports listen it prints
// `{"echo":<port>,"bulk":<port>}` on stdout.
//   ECHO_PORT: every byte comes back (request/response round trips, connection checks).
//   BULK_PORT: the first line is a command, then
//     `source <n>\n`       the pod writes n zero bytes (or `source forever`) and closes, or stops early at the
//                          client's FIN; what the client sends is dropped
//     `sink\n` <bytes>     the pod counts the bytes up to the client's FIN, answers `<count>\n` and closes
//     `sink <n>\n` <bytes> the same, answering once n bytes came, without waiting for the FIN (for paths that
//                          do not pass half-closes on: the outbound sections' netns forward)
//     `whoami\n`           the pod answers its own address (`<ECI_POD_IP>\n`) and closes
export const ECHO_PORT = 7000;
export const BULK_PORT = 7001;

/** In the server's command line, so the bench can find its processes (CPU accounting). */
export const POD_MARKER = 'ecigw-dataplane-pod';

export const POD_SERVER = `// ${POD_MARKER}
const net = require('node:net');
const host = process.env.ECI_POD_IP;
const bound = {};
const listening = (name) =>
  function () {
    bound[name] = this.address().port;
    if (bound.echo && bound.bulk) console.log(JSON.stringify(bound));
  };
net.createServer({ noDelay: true }, (c) => {
  c.on('error', () => c.destroy());
  c.pipe(c);
}).listen(Number(process.env.DP_ECHO_PORT ?? ${ECHO_PORT}), host, listening('echo'));
const chunk = Buffer.alloc(1 << 20);
net.createServer({ noDelay: true, allowHalfOpen: true }, (c) => {
  c.on('error', () => c.destroy());
  let head = Buffer.alloc(0);
  const onHead = (d) => {
    head = Buffer.concat([head, d]);
    const nl = head.indexOf(10);
    if (nl < 0) {
      if (head.length > 64) c.destroy();
      return;
    }
    c.off('data', onHead);
    const line = head.subarray(0, nl).toString();
    const rest = head.length - nl - 1;
    head = null;
    const [cmd, arg] = line.split(' ');
    if (cmd === 'whoami') return void c.end(host + '\\n');
    if (cmd === 'source') {
      let left = arg === 'forever' ? Infinity : Number(arg);
      c.on('data', () => undefined);
      c.on('end', () => ((left = 0), c.end()));
      const pump = () => {
        while (left > 0 && !c.destroyed) {
          const n = Math.min(left, chunk.length);
          left -= n;
          if (!c.write(n === chunk.length ? chunk : chunk.subarray(0, n))) return void c.once('drain', pump);
        }
        c.end();
      };
      return void pump();
    }
    if (cmd === 'sink') {
      const want = arg === undefined ? Infinity : Number(arg);
      let count = rest;
      let answered = false;
      const answer = () => answered || ((answered = true), c.end(count + '\\n'));
      c.on('data', (x) => (count += x.length) >= want && answer());
      c.on('end', answer);
      if (count >= want) answer();
      return;
    }
    c.destroy();
  };
  c.on('data', onHead);
  c.on('end', () => head !== null && c.destroy()); // a FIN before the command: a TCP probe
}).listen(Number(process.env.DP_BULK_PORT ?? ${BULK_PORT}), host, listening('bulk'));
`;
