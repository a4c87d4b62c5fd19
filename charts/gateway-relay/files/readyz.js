// helm test (gateway-relay): GET the relay's readiness URL and exit 0 on HTTP 200; retry until
// TIMEOUT_SECONDS, then exit 1 naming the last answer. CommonJS, no dependencies: it runs as `node -e` in the
// relay image.
const url = new URL(process.env.HEALTH_URL);
const client = require(url.protocol === 'https:' ? 'https' : 'http');
const timeoutSeconds = Number(process.env.TIMEOUT_SECONDS || '60');
const deadline = Date.now() + timeoutSeconds * 1000;
let last = '';
function settle(why) {
  if (why !== last) console.log(why);
  last = why;
  if (Date.now() >= deadline) {
    console.error(`FAIL: ${url.href} not ready after ${timeoutSeconds}s: ${why}`);
    process.exit(1);
  }
  setTimeout(check, 2000);
}
function check() {
  const req = client.get(url, { timeout: 10000 }, (res) => {
    let body = '';
    res.setEncoding('utf8');
    res.on('data', (d) => { if (body.length < 4096) body += d; });
    res.on('end', () => {
      if (res.statusCode === 200) {
        console.log(`PASS: ${url.href} answered 200 ${body.slice(0, 200)}`);
        process.exit(0);
      }
      settle(`HTTP ${res.statusCode} ${body.slice(0, 300)}`);
    });
  });
  req.on('timeout', () => req.destroy(new Error('no answer in 10s')));
  req.on('error', (e) => settle(e.message));
}
check();
