#!/usr/bin/env node
// Shim for `gateway-relay`: registers tsx so the TypeScript CLI runs without a build step.
import { register } from 'tsx/esm/api';

register();
const { main } = await import('../cloud/relay/cli.ts');
const code = await main(process.argv.slice(2));
if (code >= 0) process.exit(code);
