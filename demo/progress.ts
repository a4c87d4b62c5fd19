// Progress while the demo waits on something long (the first cluster build takes ~10 minutes): a line
// with the elapsed time every interval, saying what it waits for and the last step reported. Runs on an
// injected Clock so tests drive it.
import { systemClock, type Clock } from '../common/clock.js';

/** 75_000 → "1m15s", 9_000 → "9s". */
export function elapsed(ms: number): string {
  const s = Math.floor(ms / 1000);
  return s < 60 ? `${s}s` : `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`;
}

export interface Heartbeat {
  /** A step was reported (printed at once; the heartbeat repeats it as "last step"). */
  step(line: string): void;
  stop(): void;
}

export function heartbeat(say: (line: string) => void, what: string, everyMs = 15_000, clock: Clock = systemClock): Heartbeat {
  const start = clock.now();
  let last = '';
  let timer: unknown;
  const beat = () => {
    say(`still ${what}: ${elapsed(clock.now() - start)} elapsed${last ? ` (last step: ${last})` : ''}`);
    timer = clock.setTimeout(beat, everyMs);
  };
  timer = clock.setTimeout(beat, everyMs);
  return {
    step(line) {
      last = line;
      say(line);
    },
    stop() {
      clock.clearTimeout(timer);
    },
  };
}
