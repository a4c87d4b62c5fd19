// Classifies ECI SDK errors and ECI failure codes into retryable/permanent plus a Kubernetes event reason and a
// readable message (ProviderThrottled, ProviderUnavailable, OutOfStock, QuotaExceeded, InvalidPodSpec, ...).
// Pure: the caller decides what to do (retry with back-off, or mark the pod Failed with the message).

interface EciErrorLike {
  code?: string;
  statusCode?: number;
  message?: string;
}

export interface ClassifiedError {
  retryable: boolean;
  permanent: boolean;
  reason: string;
  message: string;
}

const NETWORK_CODES = new Set(['ECONNRESET', 'ECONNREFUSED', 'ETIMEDOUT', 'EPIPE', 'EAI_AGAIN', 'ENOTFOUND', 'ENETUNREACH', 'EHOSTUNREACH', 'ECONNABORTED', 'UND_ERR_SOCKET', 'UND_ERR_CONNECT_TIMEOUT']);

/** Readable reason for ECI codes that also appear in group events (no stock, quota, image pull). */
export function classifyProviderReason(text: string): { reason: string; message: string } | undefined {
  if (/NoStock|OutOfStock|InstanceTypeNoStock|ResourceNotEnough|NoResource/i.test(text)) {
    return { reason: 'OutOfStock', message: 'Alibaba Cloud has no stock for the requested ECI spec in the chosen zones; add vSwitches in more zones (k8s.aliyun.com/eci-vswitch) or more specs (k8s.aliyun.com/eci-use-specs), or retry later' };
  }
  if (/Quota|QuotaExceed|LimitExceed|ExceedLimit/i.test(text) && !/Throttl/i.test(text)) {
    return { reason: 'QuotaExceeded', message: 'an ECI quota of the Alibaba Cloud account is exhausted (instances, vCPUs or IPs); raise the quota in the Quota Center or delete unused instances' };
  }
  if (/ErrImagePull|ImagePullBackOff|PullImageFailed|ImagePull/i.test(text)) {
    return { reason: 'ErrImagePull', message: 'ECI could not pull a container image; check the image name and tag and that imagePullSecrets grant access to the registry' };
  }
  if (/InsufficientBalance|NotEnoughBalance|Arrearage/i.test(text)) {
    return { reason: 'AccountInsufficientBalance', message: 'the Alibaba Cloud account has an overdue payment or insufficient balance; top it up' };
  }
  return undefined;
}

export function mapEciError(err: EciErrorLike): ClassifiedError {
  const code = err.code ?? '';
  const raw = err.message ?? '';
  const status = err.statusCode;
  const detail = `${code}${raw ? `: ${raw}` : ''}`.trim() || 'unknown error';
  if (/^Throttling/i.test(code) || /Throttl|Flow control|ServiceUnavailable\.Throttling/i.test(raw) || status === 429) {
    return { retryable: true, permanent: false, reason: 'ProviderThrottled', message: `the ECI API throttled the request; it will be retried (${detail})` };
  }
  if (NETWORK_CODES.has(code) || /Timeout|timed out|socket hang up|ECONNRESET|ECONNREFUSED/i.test(`${code} ${raw}`)) {
    return { retryable: true, permanent: false, reason: 'ProviderUnavailable', message: `the ECI API could not be reached; it will be retried (${detail})` };
  }
  if ((status !== undefined && status >= 500) || /^(InternalError|ServiceUnavailable|UnknownError)/i.test(code)) {
    return { retryable: true, permanent: false, reason: 'ProviderUnavailable', message: `the ECI API had an internal error; it will be retried (${detail})` };
  }
  const known = classifyProviderReason(code) ?? (code === '' ? classifyProviderReason(raw) : undefined);
  if (known) return { retryable: false, permanent: true, reason: known.reason, message: `${known.message} (${detail})` };
  if (/^(Forbidden|NoPermission|InvalidAccessKeyId|SignatureDoesNotMatch|Unauthorized|InvalidSecurityToken)/i.test(code) || status === 401 || status === 403) {
    return { retryable: false, permanent: true, reason: 'ProviderUnauthorized', message: `the relay's Alibaba Cloud credentials were refused; check the AccessKey/RAM role permissions for ECI (${detail})` };
  }
  if (/^(InvalidParameter|MissingParameter|InvalidParam|Invalid|IllegalParam)/i.test(code) || /^Invalid/i.test(code)) {
    return { retryable: false, permanent: true, reason: 'InvalidPodSpec', message: `ECI rejected the pod specification; fix the field it names and recreate the pod (${detail})` };
  }
  if (/^IncorrectStatus/i.test(code)) {
    return { retryable: true, permanent: false, reason: 'ProviderBusy', message: `the ECI instance is in a state that does not allow this operation yet; it will be retried (${detail})` };
  }
  if (status !== undefined && status >= 400) {
    return { retryable: false, permanent: true, reason: 'ProviderRejected', message: `the ECI API rejected the request (${detail})` };
  }
  return { retryable: true, permanent: false, reason: 'ProviderError', message: `unexpected error from the ECI API; it will be retried (${detail})` };
}
