// X.509 toolkit (@peculiar/x509 on Node's WebCrypto). @peculiar/x509 needs the reflect-metadata
// polyfill loaded first; importing x509 from here guarantees that order everywhere.
import 'reflect-metadata';
import { webcrypto } from 'node:crypto';
import * as x509 from '@peculiar/x509';

x509.cryptoProvider.set(webcrypto as unknown as Parameters<typeof x509.cryptoProvider.set>[0]);

export { x509 };
