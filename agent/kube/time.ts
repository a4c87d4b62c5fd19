// Kubernetes time formats: metav1.Time (RFC 3339, seconds) and metav1.MicroTime (6 fractional digits).
// @kubernetes/client-node passes MicroTime fields through untouched, so they must be sent as strings.

function microTime(d: Date = new Date()): string {
  return d.toISOString().replace(/\.(\d{3})Z$/, '.$1000Z');
}

/** A MicroTime string where the generated client types expect a Date. */
export function microTimeField(d: Date = new Date()): Date {
  return microTime(d) as unknown as Date;
}

export function rfc3339(d: Date = new Date()): string {
  return d.toISOString().replace(/\.\d{3}Z$/, 'Z');
}
