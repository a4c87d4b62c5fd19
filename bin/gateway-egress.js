#!/usr/bin/env node
// Shim for `gateway-egress` (the burst pod's egress sidecar): runs the TypeScript CLI (through tsx) or its compiled form (see bin/load.js).
import { loadCli } from './load.js';

const { main } = await loadCli('cloud/egress/cli', 'gateway-egress');
const code = await main(process.argv.slice(2));
if (typeof code === 'number' && code >= 0) process.exit(code);
