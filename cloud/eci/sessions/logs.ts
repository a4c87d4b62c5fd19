// `kubectl logs` against ECI's DescribeContainerLog: a single read for plain requests (the caller's options passed
// through), and for -f a bounded polling loop (Timestamps=true, StartTime = boundary second) whose LogCursor
// emits each line once. Honours sink backpressure, limit_bytes, abort, idle bound; ends when the group is done.
import { setTimeout as sleep } from 'node:timers/promises';
import { once } from 'node:events';
import type { Writable } from 'node:stream';
import type { EciCaller } from '../api.js';
import { $Eci, type EciClient, type $Util } from '../sdk.js';
import type { LogsRequest } from '../../pod-provider/provider.js';
import { LogCursor } from './log-cursor.js';
import { isTransientEciError, sessionError } from './errors.js';

interface LogReadParams {
  tail?: number;
  sinceSeconds?: number;
  startTime?: string;
  limitBytes?: number;
  timestamps: boolean;
  previous: boolean;
}

interface LogsTarget {
  caller: EciCaller;
  groupId: string;
  container: string;
  /** True once the group has ended (terminal or gone): the follow does one last read and ends. */
  isFinished(): Promise<boolean>;
}

interface LogsTiming {
  /** Poll interval while lines arrive (ms). */
  pollMs: number;
  /** Poll interval ceiling while idle (ms); the interval doubles per empty poll up to this. */
  pollMaxMs: number;
  /** A follow with no new line for this long ends (ms). */
  idleMs: number;
  /** How often an idle follow asks whether the group has finished (ms). */
  statusCheckMs: number;
  /** Consecutive failed polls (throttling, network) tolerated before the follow fails. */
  maxPollFailures: number;
}

async function readLog(t: LogsTarget, p: LogReadParams, signal?: AbortSignal): Promise<string> {
  const res = await t.caller.call(
    'DescribeContainerLog',
    (c: EciClient, rt: $Util.RuntimeOptions) =>
      c.describeContainerLogWithOptions(
        new $Eci.DescribeContainerLogRequest({
          regionId: t.caller.regionId,
          containerGroupId: t.groupId,
          containerName: t.container,
          tail: p.tail,
          sinceSeconds: p.sinceSeconds,
          startTime: p.startTime,
          limitBytes: p.limitBytes,
          timestamps: p.timestamps,
          lastTime: p.previous || undefined,
        }),
        rt,
      ),
    { signal },
  );
  return res.body?.content ?? '';
}

/** Writes with backpressure; false when the sink is gone or the session was aborted. */
async function put(sink: Writable, buf: Buffer, signal: AbortSignal): Promise<boolean> {
  if (buf.length === 0) return !sink.destroyed;
  if (sink.destroyed || sink.writableEnded || signal.aborted) return false;
  if (sink.write(buf)) return true;
  try {
    await Promise.race([once(sink, 'drain', { signal }), once(sink, 'close', { signal }).then(() => undefined)]);
  } catch {
    return false;
  }
  return !sink.destroyed && !signal.aborted;
}

const positive = (v: number | undefined): number | undefined => (v !== undefined && v > 0 ? v : undefined);

export async function streamLogs(t: LogsTarget, req: LogsRequest, sink: Writable, signal: AbortSignal, timing: LogsTiming): Promise<void> {
  const what = `logs of container ${t.container} in ${t.groupId}`;
  const limitBytes = positive(req.limitBytes);
  const tail = req.tailLines !== undefined && req.tailLines >= 0 ? req.tailLines : undefined;
  const sinceSeconds = positive(req.sinceSeconds);
  const sinceTime = req.sinceTime || undefined;
  if (sinceTime && !Number.isFinite(Date.parse(sinceTime))) throw sessionError({ code: 'InvalidParameter', message: `since_time "${sinceTime}" is not RFC 3339` }, what);

  if (!req.follow || req.previous) {
    // One read with the caller's options; tail 0 means "no lines" (ECI reads Tail=0 as unset), so ask for 1 and drop it.
    let content: string;
    try {
      content = await readLog(t, { tail: tail === 0 ? 1 : tail, sinceSeconds, startTime: sinceTime, limitBytes, timestamps: req.timestamps, previous: req.previous }, signal);
    } catch (err) {
      if (signal.aborted) return;
      throw sessionError(err, what);
    }
    if (tail === 0) return;
    let buf = Buffer.from(content, 'utf8');
    if (limitBytes !== undefined && buf.length > limitBytes) buf = buf.subarray(0, limitBytes);
    await put(sink, buf, signal);
    return;
  }

  const cursor = new LogCursor({ timestamps: req.timestamps, limitBytes });
  // Where polls start while nothing has been seen yet: the since bound (relay clock for since_seconds).
  const floorStart = sinceTime ?? (sinceSeconds ? new Date(Date.now() - sinceSeconds * 1000).toISOString().replace(/\.\d{3}Z$/, 'Z') : undefined);
  let first: string;
  try {
    first = await readLog(t, { tail: tail === 0 ? 1 : tail, sinceSeconds, startTime: sinceTime, timestamps: true, previous: false }, signal);
  } catch (err) {
    if (signal.aborted) return;
    throw sessionError(err, what);
  }
  const r0 = cursor.accept(first, { suppress: tail === 0 });
  if (!(await put(sink, r0.out, signal)) || r0.limitReached) return;

  let interval = timing.pollMs;
  let lastLineAt = Date.now();
  let lastStatusCheck = Date.now();
  let failures = 0;
  while (!signal.aborted && !sink.destroyed) {
    try {
      await sleep(interval, undefined, { signal });
    } catch {
      return;
    }
    let finished = false;
    if (Date.now() - lastLineAt >= timing.idleMs) return;
    if (Date.now() - lastStatusCheck >= timing.statusCheckMs) {
      lastStatusCheck = Date.now();
      finished = await t.isFinished().catch(() => false);
    }
    let content: string;
    try {
      content = await readLog(t, { startTime: cursor.nextStartTime() ?? floorStart, timestamps: true, previous: false }, signal);
      failures = 0;
    } catch (err) {
      if (signal.aborted) return;
      const e = sessionError(err, what);
      if (e.code === 'NOT_FOUND' || e.code === 'FAILED_PRECONDITION') return; // the group or container is gone: the follow is over
      if (!isTransientEciError(err) || ++failures > timing.maxPollFailures) throw e;
      interval = timing.pollMaxMs;
      continue;
    }
    const r = cursor.accept(content, { final: finished });
    if (!(await put(sink, r.out, signal)) || r.limitReached || finished) return;
    if (r.lines > 0) {
      interval = timing.pollMs;
      lastLineAt = Date.now();
    } else {
      interval = Math.min(timing.pollMaxMs, interval * 2);
    }
  }
}
