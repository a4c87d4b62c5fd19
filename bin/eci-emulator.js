#!/usr/bin/env node
// Shim for `npx eci-emulator`: registers tsx so the TypeScript CLI runs without a build step.
import { register } from 'tsx/esm/api';

register();
const { main } = await import('../cloud/eci-emulator/cli.ts');
await main(process.argv.slice(2));
