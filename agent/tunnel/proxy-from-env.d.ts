// Types for proxy-from-env (the package ships none).
declare module 'proxy-from-env' {
  /** Proxy URL for `url` from *_PROXY/NO_PROXY (upper or lower case), or '' when none applies. */
  export function getProxyForUrl(url: string | URL): string;
}
