// Networking mode `tunnel`, outbound, on the tunnel: one Egress stream per connection, opened once someone
// serves dials and again after every reconnect. It carries the agent's export set (sent whole on open and
// after every change) and brings the relay's dial requests to the handler. A relay without an egress
// listener refuses the stream (FAILED_PRECONDITION): the agent says so once and retries slowly.
import { randomUUID } from 'node:crypto';
import * as grpc from '@grpc/grpc-js';
import type { Logger } from '../../common/log.js';
import type { TunnelClient as GrpcTunnelClient } from '../../proto/load.js';
import type { EgressDial__Output } from '../../proto/gen/ecigw/tunnel/v1/EgressDial.js';
import type { EgressUpdate } from '../../proto/gen/ecigw/tunnel/v1/EgressUpdate.js';
import type { ExportedService } from '../../proto/gen/ecigw/tunnel/v1/ExportedService.js';
import type { TunnelConnection } from './connection.js';

export type EgressDialHandler = (d: EgressDial__Output) => void;

const reopenDelay = (failures: number, refused: boolean) => (refused ? 30_000 : Math.min(5_000, 200 * 2 ** failures));

export class EgressStream {
  private handler?: EgressDialHandler;
  private exports: ExportedService[] = [];
  private call?: grpc.ClientDuplexStream<EgressUpdate, EgressDial__Output>;
  private refusedLogged = false;

  constructor(
    private readonly conn: TunnelConnection,
    private readonly log: Logger,
  ) {}

  /** Serves dials with `handler` and publishes `exports`; the first call opens the stream if connected. */
  serve(handler: EgressDialHandler): () => void {
    this.handler = handler;
    const client = this.conn.current;
    if (client) void this.run(client);
    return () => {
      this.handler = undefined;
      this.call?.cancel();
    };
  }

  /** The complete export set: sent now when the stream is open, and on every (re)open. */
  publish(exports: ExportedService[]): void {
    this.exports = exports;
    this.call?.write({ exports });
  }

  connected(client: GrpcTunnelClient): void {
    if (this.handler) void this.run(client);
  }

  cancel(): void {
    this.call?.cancel();
  }

  private async run(client: GrpcTunnelClient): Promise<void> {
    if (this.call) return;
    let failures = 0;
    while (this.conn.isCurrent(client) && this.handler) {
      const reqId = randomUUID();
      let refused = false;
      let received = false;
      try {
        const call = client.Egress(this.conn.metadata(reqId));
        this.call = call;
        call.write({ exports: this.exports });
        await new Promise<void>((resolve) => {
          call.on('data', (d: EgressDial__Output) => {
            received = true;
            this.handler?.(d);
          });
          call.on('error', (e: grpc.ServiceError) => {
            refused = e.code === grpc.status.FAILED_PRECONDITION || e.code === grpc.status.UNIMPLEMENTED;
            if (refused && !this.refusedLogged) this.log.warn({ reqId, err: e.details }, 'the relay takes no Egress stream: burst pods cannot reach on-prem Services until it does');
            else if (e.code !== grpc.status.CANCELLED) this.log.info({ reqId, code: e.code, err: e.details }, 'egress stream ended');
            this.refusedLogged ||= refused;
            resolve();
          });
          call.on('end', resolve);
        });
        if (this.call === call) this.call = undefined;
      } catch (e) {
        this.log.warn({ reqId, err: (e as Error).message }, 'egress stream cannot start');
      }
      failures = received ? 0 : failures + 1;
      if (this.conn.isCurrent(client)) await new Promise((r) => setTimeout(r, reopenDelay(failures, refused)).unref());
    }
  }
}
