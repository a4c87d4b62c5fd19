// `npm run demo`: checks the options, then runs the story (demo/story.ts) as a child whose stdout is the
// terminal and whose stderr, where every component writes its JSON logs, is a file whose path is printed
// first. The child's stdin is a pipe from here: if this process dies, even by SIGKILL, the pipe closes and
// the story cleans up; what the story started is also tied to it by test/cluster/reaper.ts.
import { spawn } from 'node:child_process';
import { closeSync, mkdtempSync, openSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { HELP, LIFELINE_ENV, parseDemoArgs } from './options.js';

const STORY = fileURLToPath(new URL('./story.ts', import.meta.url));

export async function main(argv: string[]): Promise<number> {
  const a = parseDemoArgs(argv, process.env);
  if (a === 'help') {
    process.stdout.write(HELP);
    return 0;
  }
  if ('problem' in a) {
    process.stderr.write(`demo: ${a.problem}\n`);
    return 2;
  }
  const logFile = a.logFile ?? join(mkdtempSync(join(tmpdir(), 'ecigw-demo-logs-')), 'components.log');
  let fd: number;
  try {
    fd = openSync(logFile, 'a', 0o600);
  } catch (e) {
    process.stderr.write(`demo: --log-file: cannot open ${logFile} (${(e as NodeJS.ErrnoException).code ?? String(e)}); give a writable path\n`);
    return 2;
  }
  process.stdout.write(`Component logs (JSON lines: cluster build, emulator, relay, agent) go to ${logFile}\n`);
  const child = spawn(process.execPath, ['--import', 'tsx', STORY, ...argv], {
    stdio: ['pipe', 'inherit', fd],
    env: { ...process.env, [LIFELINE_ENV]: '1' },
  });
  closeSync(fd);
  // A Ctrl-C reaches the story too (same process group); a signal sent to this process alone is passed on.
  for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.on(sig, () => child.kill(sig));
  const code = await new Promise<number>((resolve) => child.once('exit', (c, s) => resolve(c ?? (s ? 128 + 15 : 1))));
  if (code !== 0) process.stdout.write(`The component logs are in ${logFile}\n`);
  return code;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  process.exit(await main(process.argv.slice(2)));
}
