import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { APICallError } from 'ai';
import { congestion, retryAfter } from '../../src/models/rate-limited-model.ts';

const apiError = (statusCode: number, responseHeaders?: Record<string, string>) =>
  new APICallError({ message: 'x', url: 'http://127.0.0.1/v1', requestBodyValues: {}, statusCode, responseHeaders });

describe('rate-limited model: reading refusals', () => {
  it('reads retry-after-ms, retry-after in seconds, and retry-after as an HTTP date', () => {
    assert.equal(retryAfter({ 'retry-after-ms': '250' }), 250);
    assert.equal(retryAfter({ 'retry-after': '2' }), 2000);
    const inFiveSeconds = new Date(Date.now() + 5000).toUTCString();
    const ms = retryAfter({ 'retry-after': inFiveSeconds })!;
    assert.ok(ms > 3000 && ms <= 5000, String(ms));
    assert.equal(retryAfter({ 'retry-after': 'soon' }), undefined);
    assert.equal(retryAfter(undefined), undefined);
  });

  it('treats 429, 529 (overloaded) and 503 as congestion, other failures as plain failures', () => {
    assert.deepEqual(congestion(apiError(429, { 'retry-after-ms': '10' })), { kind: 'rejected', retryAfterMs: 10 });
    assert.deepEqual(congestion(apiError(529)), { kind: 'rejected' });
    assert.deepEqual(congestion(apiError(503, { 'retry-after': '1' })), { kind: 'rejected', retryAfterMs: 1000 });
    assert.equal(congestion(apiError(500)), undefined);
    assert.equal(congestion(apiError(400)), undefined);
    assert.equal(congestion(new Error('socket hang up')), undefined);
  });
});
