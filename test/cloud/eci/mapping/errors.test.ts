import test from 'ava';
import { mapEciError } from '../../../../cloud/eci/mapping/errors.js';

const CASES: Array<[Parameters<typeof mapEciError>[0], { retryable: boolean; reason: string }]> = [
  [{ code: 'Throttling.User', statusCode: 400, message: 'Request was denied due to user flow control.' }, { retryable: true, reason: 'ProviderThrottled' }],
  [{ code: 'Throttling', statusCode: 400 }, { retryable: true, reason: 'ProviderThrottled' }],
  [{ statusCode: 429 }, { retryable: true, reason: 'ProviderThrottled' }],
  [{ code: 'ServiceUnavailable', statusCode: 503 }, { retryable: true, reason: 'ProviderUnavailable' }],
  [{ code: 'InternalError', statusCode: 500 }, { retryable: true, reason: 'ProviderUnavailable' }],
  [{ code: 'ECONNRESET', message: 'socket hang up' }, { retryable: true, reason: 'ProviderUnavailable' }],
  [{ code: 'ECONNREFUSED', message: 'connect ECONNREFUSED 127.0.0.1:1' }, { retryable: true, reason: 'ProviderUnavailable' }],
  [{ message: 'ReadTimeout(3000)' }, { retryable: true, reason: 'ProviderUnavailable' }],
  [{ code: 'RecommendEmpty.InstanceTypeNoStock', statusCode: 403 }, { retryable: false, reason: 'OutOfStock' }],
  [{ code: 'OperationDenied.NoStock', statusCode: 403 }, { retryable: false, reason: 'OutOfStock' }],
  [{ code: 'QuotaExceed.ElasticQuota', statusCode: 403 }, { retryable: false, reason: 'QuotaExceeded' }],
  [{ code: 'InvalidParameter', statusCode: 400, message: 'Container.1.Image is invalid' }, { retryable: false, reason: 'InvalidPodSpec' }],
  [{ code: 'MissingParameter', statusCode: 400 }, { retryable: false, reason: 'InvalidPodSpec' }],
  [{ code: 'InvalidAccessKeyId.NotFound', statusCode: 404 }, { retryable: false, reason: 'ProviderUnauthorized' }],
  [{ code: 'Forbidden.RAM', statusCode: 403 }, { retryable: false, reason: 'ProviderUnauthorized' }],
  [{ code: 'IncorrectStatus', statusCode: 400 }, { retryable: true, reason: 'ProviderBusy' }],
  [{ code: 'SomethingNew', statusCode: 400 }, { retryable: false, reason: 'ProviderRejected' }],
  [{}, { retryable: true, reason: 'ProviderError' }],
];
for (const [err, want] of CASES) {
  test(`classify ${JSON.stringify(err)}`, (t) => {
    const c = mapEciError(err);
    t.is(c.reason, want.reason);
    t.is(c.retryable, want.retryable);
    t.is(c.permanent, !want.retryable);
    t.true(c.message.length > 30);
    if (err.code) t.true(c.message.includes(err.code), 'message keeps the ECI code');
  });
}
