// The shape of a log line as collectors read it: one JSON object per line on stderr with an ISO 8601 time, a
// string level, pid, component, reqId (when bound) and msg. Runs common/log.ts in a child process, as the CLIs
// do, and parses what it writes to stderr.
import test from 'ava';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const logModule = fileURLToPath(new URL('../../common/log.ts', import.meta.url));

async function linesFrom(script: string, env: NodeJS.ProcessEnv): Promise<string[]> {
  const child = spawn(process.execPath, ['--import=tsx', '--input-type=module', '-e', script], { env: { ...process.env, ...env }, stdio: ['ignore', 'ignore', 'pipe'] });
  let err = '';
  child.stderr.setEncoding('utf8').on('data', (d: string) => (err += d));
  const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
  if (code !== 0) throw new Error(`exit ${code}: ${err}`);
  return err.split('\n').filter((l) => l.startsWith('{'));
}

test('a log line: ISO time, string level, pid, component, reqId, msg', async (t) => {
  const lines = await linesFrom(
    `const { logger } = await import(${JSON.stringify(logModule)}); const log = logger('relay', { reqId: 'req-1' }); log.warn({ tenant: 't1' }, 'quota near'); log.debug('hidden');`,
    { LOG_LEVEL: 'info', NODE_ENV: '' },
  );
  t.is(lines.length, 1, 'debug stays below LOG_LEVEL=info');
  const line = JSON.parse(lines[0]) as Record<string, unknown>;
  t.is(line.level, 'warn');
  t.is(typeof line.time, 'string');
  t.is(new Date(String(line.time)).toISOString(), String(line.time), 'ISO 8601 in UTC');
  t.is(typeof line.pid, 'number');
  t.like(line, { component: 'relay', reqId: 'req-1', tenant: 't1', msg: 'quota near' });
});
