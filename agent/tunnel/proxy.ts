// Routes the tunnel through an HTTP CONNECT proxy: picks the proxy (explicit option, else
// HTTPS_PROXY/NO_PROXY via proxy-from-env) and turns it into grpc-js channel options. TLS to the
// relay runs end to end inside the CONNECT tunnel; the proxy sees only the relay's host:port.
import { getProxyForUrl } from 'proxy-from-env';
import type { ChannelOptions } from '@grpc/grpc-js';

interface ProxyRoute {
  /** Address the channel dials (the proxy, or the relay when there is no proxy). */
  dialTarget: string;
  options: ChannelOptions;
  /** Proxy URL in use, for logs ('' when direct). */
  proxy: string;
}

/**
 * @param target relay `host:port`
 * @param proxy explicit proxy URL (`http://[user:pass@]host:port`), null for none, undefined for the environment
 */
export function proxyRoute(target: string, proxy: string | null | undefined): ProxyRoute {
  // grpc-js would read lower-case env vars on its own; we decide here instead so HTTPS_PROXY,
  // NO_PROXY and the explicit option behave the same, and disable its own lookup.
  const base: ChannelOptions = { 'grpc.enable_http_proxy': 0 };
  const url = proxy === undefined ? getProxyForUrl(`https://${target}`) : proxy ?? '';
  if (!url) return { dialTarget: target, options: base, proxy: '' };
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new Error(`proxy ${JSON.stringify(url)} is not a URL (expected http://host:port)`);
  }
  if (parsed.protocol !== 'http:') throw new Error(`proxy ${url}: only http:// CONNECT proxies are supported`);
  const port = parsed.port || '80';
  // The channel dials the proxy, but TLS must verify the relay's name, and :authority must be the relay.
  const relayHost = target.replace(/:\d+$/, '').replace(/^\[(.*)\]$/, '$1');
  const options: ChannelOptions = {
    ...base,
    'grpc.http_connect_target': `dns:${target}`,
    'grpc.default_authority': target,
    'grpc.ssl_target_name_override': relayHost,
  };
  if (parsed.username) options['grpc.http_connect_creds'] = `${decodeURIComponent(parsed.username)}:${decodeURIComponent(parsed.password)}`;
  return { dialTarget: `${parsed.hostname}:${port}`, options, proxy: `${parsed.protocol}//${parsed.hostname}:${port}` };
}
