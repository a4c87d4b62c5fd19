// A function that runs its body the first time only: the idempotent release of a counted slot (a session's
// end may be reported by more than one event).

export function once(fn: () => void): () => void {
  let done = false;
  return () => {
    if (done) return;
    done = true;
    fn();
  };
}
