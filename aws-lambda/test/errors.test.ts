import { describe, expect, it } from 'vitest';
import { isTransient } from '../src/errors.js';

const sdkError = (name: string, status: number) =>
  Object.assign(new Error(name), { name, $metadata: { httpStatusCode: status } });

describe('isTransient', () => {
  it.each([
    ['SlowDown', 503],
    ['RequestLimitExceeded', 503],
    ['ThrottlingException', 400],
    ['Throttling', 400],
    ['TooManyRequestsException', 429],
    ['InternalError', 500],
    ['TimeoutError', 0],
  ])('%s is transient', (name, status) => expect(isTransient(sdkError(name, status))).toBe(true));

  it.each([
    ['AccessDenied', 403],
    ['NoSuchBucket', 404],
    ['InvalidPermission.NotFound', 400],
  ])('%s is not', (name, status) => expect(isTransient(sdkError(name, status))).toBe(false));

  it('network errors are', () =>
    expect(isTransient(Object.assign(new Error('reset'), { code: 'ECONNRESET' }))).toBe(true));
});
