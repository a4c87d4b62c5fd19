// An exec in a container of the `process` runtime: a process in the container's environment (its sandboxed
// paths, env and cwd), over pipes (stdout and stderr apart), or through the python3 pty helper for a TTY
// (resize and close-stdin go over its control pipe). Its own process group is killed when it exits, so
// nothing it started outlives it.
import { spawn, type ChildProcess } from 'node:child_process';
import { PassThrough } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { killGroup, signalNumber } from './process-group.js';
import type { ContainerEnvironment } from './sandbox.js';
import { execArgv } from './exec-argv.js';
import type { ExecOptions, ExecSession } from './types.js';

const PTY_HELPER = fileURLToPath(new URL('./pty-helper.py', import.meta.url));

/** Who keeps count of running execs (to kill them with their group, and at exit). */
interface ExecTracker {
  started(child: ChildProcess): void;
  exited(child: ChildProcess): void;
}

export function spawnExec(ce: ContainerEnvironment, command: string[], opts: ExecOptions, tracker: ExecTracker): ExecSession {
  const argv = execArgv(command, ce.rewrite, ce.groupRoot);
  let child: ChildProcess;
  if (opts.tty) {
    const cmd = ['python3', PTY_HELPER, String(opts.cols ?? 80), String(opts.rows ?? 24), ...argv];
    const run = ce.wrap?.(cmd) ?? cmd;
    child = spawn(run[0], run.slice(1), { cwd: ce.cwd, env: ce.env, detached: true, stdio: ['pipe', 'pipe', 'pipe', 'pipe'] });
  } else {
    const run = ce.wrap?.(argv) ?? argv;
    child = spawn(run[0], run.slice(1), { cwd: ce.cwd, env: ce.env, detached: true, stdio: [opts.stdin ? 'pipe' : 'ignore', 'pipe', 'pipe'] });
  }
  tracker.started(child);
  // The process's own pipes, so a paused reader stops the process (the pipe fills) instead of buffering here.
  // stderr goes through a PassThrough that can also carry a spawn failure's message; `close` comes after both
  // pipes have ended, so nothing is cut off.
  const stdout = child.stdout!;
  const stderr = new PassThrough();
  child.stderr!.pipe(stderr, { end: false });
  child.on('close', () => stderr.end());
  child.stdin?.on('error', () => undefined);
  const control = child.stdio[3] as NodeJS.WritableStream | undefined;
  control?.on('error', () => undefined);
  const exit = new Promise<number>((resolve) => {
    child.on('error', (e) => {
      stderr.write(`exec ${argv[0]}: ${e.message}\n`);
      resolve(127);
    });
    child.on('exit', (code, sig) => {
      tracker.exited(child);
      if (child.pid) killGroup(child.pid, 'SIGKILL');
      resolve(sig ? 128 + signalNumber(sig) : (code ?? 0));
    });
  });
  return {
    stdout,
    stderr,
    exit,
    write: (d) => {
      if (child.stdin?.writable) child.stdin.write(d);
    },
    closeStdin: () => {
      if (opts.tty) control?.write('{"op":"close-stdin"}\n');
      else child.stdin?.end();
    },
    resize: (cols, rows) => {
      if (opts.tty) control?.write(`${JSON.stringify({ cols, rows })}\n`);
    },
    kill: () => killGroup(child.pid, 'SIGKILL'),
  };
}
