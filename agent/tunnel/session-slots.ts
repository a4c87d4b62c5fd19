// The agent's own caps of tunnel sessions. Interactive sessions (exec/attach, logs, port-forward) share the
// agent's one HTTP/2 connection with pod intents and the status watch, so at most three quarters of the
// relay's concurrent streams (and never more than the configured cap) may be sessions. Service connections
// (networking mode `tunnel`) have a budget of their own, the relay's maxServiceConnections. A session beyond
// its cap is refused here, before it reaches the wire, with an error that says why. Pure bookkeeping.
import * as grpc from '@grpc/grpc-js';
import { once } from '../../common/once.js';

/** Share of the connection's HTTP/2 streams interactive sessions may take; the rest is kept for intents and the watch. */
const INTERACTIVE_STREAM_SHARE = 3 / 4;
/** Default cap of interactive sessions per agent connection (the relay's default allows 192 on 256 streams). */
export const DEFAULT_MAX_INTERACTIVE_SESSIONS = 192;

export class SessionLimitError extends Error {
  readonly code = grpc.status.RESOURCE_EXHAUSTED;
  constructor(message: string) {
    super(message);
    this.name = 'SessionLimitError';
  }
}

export class InteractiveSlots {
  private open = 0;

  constructor(private readonly configured: number = DEFAULT_MAX_INTERACTIVE_SESSIONS) {}

  /** The cap on a connection whose relay allows `relayStreams` concurrent streams (unknown: the configured cap). */
  cap(relayStreams: number | undefined): number {
    if (!relayStreams) return this.configured;
    return Math.max(1, Math.min(this.configured, Math.floor(relayStreams * INTERACTIVE_STREAM_SHARE)));
  }

  get count(): number {
    return this.open;
  }

  /** Takes a slot for a `kind` session; returns its (idempotent) release; throws SessionLimitError when full. */
  acquire(kind: string, relayStreams: number | undefined): () => void {
    const cap = this.cap(relayStreams);
    if (this.open >= cap) {
      throw new SessionLimitError(
        `${kind}: this agent already has ${this.open} interactive sessions open on its tunnel (cap ${cap}: maxInteractiveSessions=${this.configured}, at most ${INTERACTIVE_STREAM_SHARE * 100}% of the relay's ${relayStreams ?? '?'} streams per connection); the rest is kept for pod intents and the status watch. Close a session and retry.`,
      );
    }
    this.open++;
    return once(() => this.open--);
  }
}

/** Service connections (networking mode `tunnel`): counted apart from interactive sessions, as the relay counts them. */
export class ServiceSlots {
  private open = 0;

  /** Takes a slot under the relay's maxServiceConnections (0 or unknown: none); returns its idempotent release. */
  acquire(relayCap: number | undefined): () => void {
    const cap = relayCap ?? 0;
    if (this.open >= cap) {
      throw new SessionLimitError(`Service connection refused: the relay allows ${cap} per agent and ${this.open} are open${cap === 0 ? ' (it does not take Service connections)' : ''}`);
    }
    this.open++;
    return once(() => this.open--);
  }
}
