/** @internal What `step.fetch` asks the executor to request (the SDK's `Gateway` op options). */
export interface GatewayRequest {
  url: string;
  method: string;
  headers: Record<string, string>;
  body?: string;
}

/** @internal The response the SDK rebuilds a `Response` from. */
export interface GatewayResponse {
  status_code: number;
  headers: Record<string, string>;
  body: string;
}

/**
 * @internal Performs a `step.fetch` request as the server does: the executor, not the function,
 * makes the call, and its response becomes the step's memoized result.
 */
export async function performGatewayRequest(
  request: GatewayRequest,
  signal: AbortSignal,
): Promise<GatewayResponse> {
  const response = await fetch(request.url, {
    method: request.method,
    headers: request.headers,
    ...(request.body !== undefined && request.method !== 'GET' && request.method !== 'HEAD'
      ? { body: request.body }
      : {}),
    signal,
  });
  return {
    status_code: response.status,
    headers: Object.fromEntries(response.headers.entries()),
    body: await response.text(),
  };
}
