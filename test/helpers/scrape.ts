// Scraping for monitoring tests: an HTTPS GET with a bearer token (as Prometheus does: the API server's
// node proxy with the cluster CA, or a kubelet endpoint with insecureSkipVerify as kube-prometheus' kubelet
// job does), and Prometheus text parsed by parse-prometheus-text-format into families by name.
import { request } from 'node:https';
import parsePrometheusTextFormat from 'parse-prometheus-text-format';

export type MetricFamily = ReturnType<typeof parsePrometheusTextFormat>[number];

export async function httpsGet(url: string, o: { token?: string; ca?: string } = {}): Promise<{ status: number; body: string }> {
  return await new Promise((resolve, reject) => {
    const req = request(
      url,
      {
        headers: o.token ? { authorization: `Bearer ${o.token}` } : {},
        ca: o.ca,
        rejectUnauthorized: o.ca !== undefined,
        timeout: 20_000,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
        res.on('error', reject);
      },
    );
    req.on('timeout', () => req.destroy(new Error(`GET ${url}: timed out`)));
    req.on('error', reject);
    req.end();
  });
}

export function families(text: string): Map<string, MetricFamily> {
  return new Map(parsePrometheusTextFormat(text).map((f) => [f.name, f]));
}
