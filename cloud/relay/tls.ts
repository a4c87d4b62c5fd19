// The relay's TLS server credentials: serving certificate, key and client-CA bundle re-read from files by
// grpc-js's FileWatcherCertificateProvider (hot rotation without restart), loaded before the port opens.
import { experimental, type ServerCredentials } from '@grpc/grpc-js';

export interface RelayTlsFiles {
  certFile: string;
  keyFile: string;
  /** CA that issues agent client certificates. */
  clientCaFile: string;
  /** How often the certificate files are re-read (ms). */
  refreshIntervalMs?: number;
}

export async function relayServerCredentials(tls: RelayTlsFiles, loadTimeoutMs = 10_000): Promise<ServerCredentials> {
  const provider = new experimental.FileWatcherCertificateProvider({
    certificateFile: tls.certFile,
    privateKeyFile: tls.keyFile,
    caCertificateFile: tls.clientCaFile,
    refreshIntervalMs: tls.refreshIntervalMs ?? 5_000,
  });
  // Client certificates are requested but not required at the TLS layer (token agents have none);
  // the Authenticator verifies them against the (re-read) client CA for every call.
  const creds = experimental.createCertificateProviderServerCredentials(provider, provider, false);
  await certificatesLoaded(provider, loadTimeoutMs);
  return creds;
}

/** Waits until the file-watching provider has loaded both the identity and the CA (it loads asynchronously). */
function certificatesLoaded(provider: experimental.FileWatcherCertificateProvider, ms: number): Promise<void> {
  return new Promise((resolve, reject) => {
    let identity = false;
    let ca = false;
    const timer = setTimeout(() => (cleanup(), reject(new Error(`relay TLS: certificate/key/CA files not loaded within ${ms} ms`))), ms);
    const cleanup = () => {
      clearTimeout(timer);
      provider.removeIdentityCertificateListener(onIdentity);
      provider.removeCaCertificateListener(onCa);
    };
    const check = () => identity && ca && (cleanup(), resolve());
    const onIdentity = (u: unknown) => ((identity = !!u), check());
    const onCa = (u: unknown) => ((ca = !!u), check());
    provider.addIdentityCertificateListener(onIdentity);
    provider.addCaCertificateListener(onCa);
  });
}
