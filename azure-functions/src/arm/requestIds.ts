/** What a raw-response callback sees; the SDK's FullOperationResponse has more, we need the headers. */
interface RawResponse {
  headers: { get(name: string): string | undefined };
}

/**
 * Collects ARM's request ids from every response of one step (LRO polls included) through the SDK's
 * `onResponse` hook, so an audit record can be matched to ARM's own logs.
 */
export class RequestIds {
  private readonly ids = new Set<string>();

  /** Pass as `{ onResponse: ids.capture }`. */
  readonly capture = (response: RawResponse): void => {
    for (const name of ['x-ms-request-id', 'x-ms-correlation-request-id']) {
      const v = response.headers.get(name);
      if (v) this.ids.add(`${name}:${v}`);
    }
  };

  /** The ids seen; the operation name when the responses carried none. */
  list(operation: string): string[] {
    return this.ids.size > 0 ? [...this.ids] : [operation];
  }
}
