// helm test (gateway-agent): GET the virtual node with this pod's ServiceAccount token and exit 0 once its
// Ready condition is True; retry until TIMEOUT_SECONDS, then exit 1 naming what was seen. CommonJS, no
// dependencies: it runs as `node -e` in the agent image.
const fs = require('fs');
const https = require('https');
const sa = '/var/run/secrets/kubernetes.io/serviceaccount';
const node = process.env.NODE_NAME;
const host = process.env.KUBERNETES_SERVICE_HOST;
const port = process.env.KUBERNETES_SERVICE_PORT || '443';
const timeoutSeconds = Number(process.env.TIMEOUT_SECONDS || '60');
const deadline = Date.now() + timeoutSeconds * 1000;
let last = '';
function settle(why) {
  if (why !== last) console.log(why);
  last = why;
  if (Date.now() >= deadline) {
    console.error(`FAIL: node ${node} is not Ready after ${timeoutSeconds}s: ${why}`);
    process.exit(1);
  }
  setTimeout(check, 2000);
}
function check() {
  if (!host) return settle('KUBERNETES_SERVICE_HOST is not set (set it in tests.env)');
  let ca, token;
  try {
    ca = fs.readFileSync(`${sa}/ca.crt`);
    token = fs.readFileSync(`${sa}/token`, 'utf8').trim();
  } catch (e) {
    return settle(`no ServiceAccount credentials: ${e.message}`);
  }
  const req = https.get({ host, port, path: `/api/v1/nodes/${encodeURIComponent(node)}`, ca, headers: { authorization: `Bearer ${token}`, accept: 'application/json' }, timeout: 10000 }, (res) => {
    let body = '';
    res.setEncoding('utf8');
    res.on('data', (d) => { if (body.length < 1 << 20) body += d; });
    res.on('end', () => {
      if (res.statusCode !== 200) return settle(`GET node ${node}: HTTP ${res.statusCode} ${body.slice(0, 300)}`);
      let ready;
      try {
        ready = (JSON.parse(body).status?.conditions ?? []).find((c) => c.type === 'Ready');
      } catch (e) {
        return settle(`GET node ${node}: unreadable answer: ${e.message}`);
      }
      if (ready?.status === 'True') {
        console.log(`PASS: node ${node} is Ready (${ready.reason ?? ''})`);
        process.exit(0);
      }
      settle(`node ${node}: Ready=${ready?.status ?? 'absent'} ${ready?.reason ?? ''} ${ready?.message ?? ''}`.trim());
    });
  });
  req.on('timeout', () => req.destroy(new Error('no answer in 10s')));
  req.on('error', (e) => settle(`GET node ${node}: ${e.message}`));
}
check();
