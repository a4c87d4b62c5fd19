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
