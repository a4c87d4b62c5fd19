// Classifies errors thrown by @kubernetes/client-node (ApiException carries `code` = HTTP status).

export function httpStatus(e: unknown): number | undefined {
  const code = (e as { code?: unknown; statusCode?: unknown } | null)?.code ?? (e as { statusCode?: unknown } | null)?.statusCode;
  return typeof code === 'number' ? code : undefined;
}

export const isNotFound = (e: unknown) => httpStatus(e) === 404;
export const isConflict = (e: unknown) => httpStatus(e) === 409;
export const isAlreadyExists = (e: unknown) => httpStatus(e) === 409;

export function errorMessage(e: unknown): string {
  const body = (e as { body?: unknown } | null)?.body;
  if (typeof body === 'string') {
    try {
      const parsed = JSON.parse(body) as { message?: string };
      if (parsed.message) return parsed.message;
    } catch {
      /* not JSON */
    }
  }
  return e instanceof Error ? e.message.split('\n')[0] : String(e);
}

/**
 * A write guarded by a pod's uid hit a different pod of the same name (the old one was deleted and the
 * name reused): a uid precondition failure (409) or, for patches that carry metadata.uid, the API
 * server's refusal to change the immutable uid (422).
 */
export function isPodReplaced(e: unknown): boolean {
  const code = httpStatus(e);
  return code === 409 || (code === 422 && /uid/i.test(errorMessage(e)));
}
