import { randomUUID } from 'node:crypto';
import type { Protocol } from './classify.js';

export type FaultKind = 'throttle' | 'error';

export interface FaultResponse {
  status: number;
  headers: Record<string, string>;
  body: string;
}

const XML = 'application/xml';

function s3Error(code: string, message: string, requestId: string): string {
  const hostId = Buffer.from(requestId).toString('base64');
  return (
    '<?xml version="1.0" encoding="UTF-8"?>\n' +
    `<Error><Code>${code}</Code><Message>${message}</Message><RequestId>${requestId}</RequestId><HostId>${hostId}</HostId></Error>`
  );
}

function ec2Error(code: string, message: string, requestId: string): string {
  return (
    '<?xml version="1.0" encoding="UTF-8"?>\n' +
    `<Response><Errors><Error><Code>${code}</Code><Message>${message}</Message></Error></Errors><RequestID>${requestId}</RequestID></Response>`
  );
}

function queryError(type: 'Sender' | 'Receiver', code: string, message: string, requestId: string): string {
  return (
    '<?xml version="1.0" encoding="UTF-8"?>\n' +
    `<ErrorResponse><Error><Type>${type}</Type><Code>${code}</Code><Message>${message}</Message></Error><RequestId>${requestId}</RequestId></ErrorResponse>`
  );
}

/**
 * The error a real service answers when it throttles (`throttle`) or fails internally (`error`), in the request's
 * protocol — what the SDKs' retry strategies recognise:
 * - S3 (rest-xml): 503 `SlowDown` / 500 `InternalError`
 * - EC2 (ec2 query): 503 `RequestLimitExceeded` / 500 `InternalError`
 * - other query services (IAM, STS): 400 `Throttling` / 500 `InternalFailure`
 * - JSON services (CloudTrail): 400 `ThrottlingException` / 500 `InternalFailure`
 * - ARM: 429 `TooManyRequests` with `Retry-After: 0` / 500 `InternalServerError`
 */
export function faultResponse(kind: FaultKind, protocol: Protocol): FaultResponse {
  const requestId = randomUUID();
  switch (protocol) {
    case 'ec2':
      return kind === 'throttle'
        ? {
            status: 503,
            headers: { 'content-type': XML },
            body: ec2Error('RequestLimitExceeded', 'Request limit exceeded.', requestId),
          }
        : {
            status: 500,
            headers: { 'content-type': XML },
            body: ec2Error('InternalError', 'An internal error has occurred', requestId),
          };
    case 'query':
      return kind === 'throttle'
        ? {
            status: 400,
            headers: { 'content-type': 'text/xml' },
            body: queryError('Sender', 'Throttling', 'Rate exceeded', requestId),
          }
        : {
            status: 500,
            headers: { 'content-type': 'text/xml' },
            body: queryError('Receiver', 'InternalFailure', 'An internal error has occurred', requestId),
          };
    case 'json': {
      const code = kind === 'throttle' ? 'ThrottlingException' : 'InternalFailure';
      const message = kind === 'throttle' ? 'Rate exceeded' : 'An internal error has occurred';
      return {
        status: kind === 'throttle' ? 400 : 500,
        headers: {
          'content-type': 'application/x-amz-json-1.1',
          'x-amzn-errortype': code,
          'x-amzn-requestid': requestId,
        },
        body: JSON.stringify({ __type: code, message }),
      };
    }
    case 'arm':
      return kind === 'throttle'
        ? {
            status: 429,
            headers: { 'content-type': 'application/json', 'retry-after': '0', 'x-ms-request-id': requestId },
            body: JSON.stringify({
              error: { code: 'TooManyRequests', message: 'The request is being throttled. Retry after 0 seconds.' },
            }),
          }
        : {
            status: 500,
            headers: { 'content-type': 'application/json', 'x-ms-request-id': requestId },
            body: JSON.stringify({
              error: { code: 'InternalServerError', message: 'The server encountered an internal error.' },
            }),
          };
    default:
      return kind === 'throttle'
        ? {
            status: 503,
            headers: { 'content-type': XML, 'x-amz-request-id': requestId },
            body: s3Error('SlowDown', 'Please reduce your request rate.', requestId),
          }
        : {
            status: 500,
            headers: { 'content-type': XML, 'x-amz-request-id': requestId },
            body: s3Error('InternalError', 'We encountered an internal error. Please try again.', requestId),
          };
  }
}
