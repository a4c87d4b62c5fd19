// Process groups of the `process` runtime: every container and exec is spawned detached, so it leads its own
// process group and a signal to -pid reaches everything it started; and how a signal becomes an exit code.
import { constants as osConstants } from 'node:os';

/** The number of a signal (0 for none or an unknown one), as in an exit code of 128 + n. */
export const signalNumber = (sig: NodeJS.Signals | null): number => (sig ? ((osConstants.signals as Record<string, number>)[sig] ?? 0) : 0);

/** Signals a whole process group; one already gone is no error. */
export function killGroup(pgid: number | undefined, sig: NodeJS.Signals): void {
  if (!pgid) return;
  try {
    process.kill(-pgid, sig);
  } catch {
    // the group is already gone
  }
}
