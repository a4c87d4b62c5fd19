// Loads a CLI module for the bin shims: the TypeScript source through tsx when the sources are here (a
// checkout), else the compiled dist/ (an image built with `npm run build`). ECIGW_USE_DIST=1 forces dist/.
import { existsSync } from 'node:fs';

export async function loadCli(modulePath) {
  const source = new URL(`../${modulePath}.ts`, import.meta.url);
  if (existsSync(source) && process.env.ECIGW_USE_DIST !== '1') {
    const { register } = await import('tsx/esm/api');
    register();
    return await import(source.href);
  }
  return await import(new URL(`../dist/${modulePath}.js`, import.meta.url).href);
}
