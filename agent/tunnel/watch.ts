// The resumable status watch: one WatchStatus stream per connection, opened once someone listens and again
// after every reconnect, resuming from the cursor (epoch, seq) so nothing is missed or applied twice
// (status-tracker.ts). Reopens an idle stream, backs off after streams that end without data, and pauses
// the stream while handlers run (backpressure).
import { randomUUID } from 'node:crypto';
import * as grpc from '@grpc/grpc-js';
import type { Logger } from '../../common/log.js';
import type { TunnelClient as GrpcTunnelClient } from '../../proto/load.js';
import type { PodState__Output } from '../../proto/gen/ecigw/tunnel/v1/PodState.js';
import type { StatusEvent__Output } from '../../proto/gen/ecigw/tunnel/v1/StatusEvent.js';
import type { TunnelConnection } from './connection.js';
import { StatusTracker, type Cursor } from './status-tracker.js';

export type StatusHandler = (pod: PodState__Output) => void | Promise<void>;

/** Pause before reopening a stream after `failures` streams in a row ended without data (bounded back-off). */
const reopenDelay = (failures: number) => Math.min(5_000, 200 * 2 ** failures);

export class StatusWatch {
  private readonly tracker = new StatusTracker();
  private handlers: StatusHandler[] = [];
  private call: grpc.ClientReadableStream<StatusEvent__Output> | undefined;

  constructor(
    private readonly conn: TunnelConnection,
    private readonly idleTimeoutMs: number,
    private readonly log: Logger,
  ) {}

  /** Resume point. */
  get cursor(): Cursor {
    return this.tracker.cursor;
  }

  /** Registers a handler; returns its removal. The first handler opens the stream if connected. */
  add(handler: StatusHandler): () => void {
    this.handlers.push(handler);
    const client = this.conn.current;
    if (this.handlers.length === 1 && client) void this.run(client);
    return () => {
      this.handlers = this.handlers.filter((h) => h !== handler);
      if (this.handlers.length === 0) this.call?.cancel();
    };
  }

  /** A connection is up: watch on it if anyone listens. */
  connected(client: GrpcTunnelClient): void {
    if (this.handlers.length) void this.run(client);
  }

  /** Ends the current stream (connection lost, client stopped). */
  cancel(): void {
    this.call?.cancel();
  }

  /** Runs one watch stream on this connection; reopens it (resuming) until the connection is lost. */
  private async run(client: GrpcTunnelClient): Promise<void> {
    let failures = 0;
    while (this.conn.isCurrent(client) && this.handlers.length) {
      const reqId = randomUUID();
      const { epoch, seq } = this.tracker.cursor;
      let md: grpc.Metadata;
      try {
        md = this.conn.metadata(reqId);
      } catch (e) {
        this.log.warn({ reqId, err: (e as Error).message }, 'status watch cannot start');
        await new Promise((r) => setTimeout(r, reopenDelay(++failures)));
        continue;
      }
      const call = client.WatchStatus({ epoch, seq }, md);
      this.call = call;
      let idle: NodeJS.Timeout | undefined;
      let received = false;
      const arm = () => {
        clearTimeout(idle);
        idle = setTimeout(() => {
          this.log.warn({ reqId }, 'status watch idle; reopening');
          call.cancel();
        }, this.idleTimeoutMs);
      };
      arm();
      await new Promise<void>((resolve) => {
        call.on('data', (ev: StatusEvent__Output) => {
          received = true;
          arm();
          const states = this.tracker.apply(ev);
          if (states.length === 0) return;
          call.pause();
          void (async () => {
            for (const s of states) {
              for (const h of this.handlers) {
                try {
                  await h(s);
                } catch (e) {
                  this.log.error({ err: (e as Error).message, uid: s.uid }, 'status handler failed');
                }
              }
            }
            call.resume();
          })();
        });
        call.on('error', (e: grpc.ServiceError) => {
          if (e.code !== grpc.status.CANCELLED) this.log.info({ reqId, code: e.code, err: e.details }, 'status watch ended');
          resolve();
        });
        call.on('end', resolve);
      });
      clearTimeout(idle);
      if (this.call === call) this.call = undefined;
      // Reopen soon after a normal end, slower after repeated failures.
      failures = received ? 0 : failures + 1;
      if (this.conn.isCurrent(client)) await new Promise((r) => setTimeout(r, reopenDelay(failures)));
    }
  }
}
