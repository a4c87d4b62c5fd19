// Loads a CLI module for the bin shims: the TypeScript source through tsx when the sources are here (a
// checkout), else the compiled dist/ (an image built with `npm run build`). ECIGW_USE_DIST=1 forces dist/.
// Settings read while modules load (LOG_LEVEL) are checked first, so a bad one is one line and exit 2.
import { existsSync } from 'node:fs';
import { pino } from 'pino';

function checkLogLevel(program) {
  const level = process.env.LOG_LEVEL;
  if (level === undefined) return;
  const known = [...Object.keys(pino.levels.values), 'silent'];
  if (known.includes(level)) return;
  process.stderr.write(`${program}: LOG_LEVEL: ${JSON.stringify(level)} is not a log level; set it to one of ${known.join(', ')} or unset it\n`);
  process.exit(2);
}

export async function loadCli(modulePath, program) {
  checkLogLevel(program);
  const source = new URL(`../${modulePath}.ts`, import.meta.url);
  if (existsSync(source) && process.env.ECIGW_USE_DIST !== '1') {
    const { register } = await import('tsx/esm/api');
    register();
    return await import(source.href);
  }
  return await import(new URL(`../dist/${modulePath}.js`, import.meta.url).href);
}
