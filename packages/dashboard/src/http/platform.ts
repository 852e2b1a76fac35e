import type { IncomingMessage, ServerResponse } from 'node:http';
import type { DashboardRequest } from '../dashboard.options';

/** @internal A request and response of either platform, as Node's own objects. */
export interface Exchange {
  request: DashboardRequest;
  url: URL;
  response: ServerResponse;
}

/**
 * @internal Express hands Node's objects (extended); Fastify wraps them (`.raw`) and must be told
 * that the handler answers on the raw response itself (`hijack`).
 */
export function exchangeOf(platformRequest: any, platformReply: any): Exchange {
  const raw: IncomingMessage = platformRequest.raw ?? platformRequest;
  if (typeof platformReply.hijack === 'function') platformReply.hijack();
  const response: ServerResponse = platformReply.raw ?? platformReply;
  const path = platformRequest.originalUrl ?? raw.url ?? '/';
  return {
    request: {
      method: raw.method ?? 'GET',
      url: path,
      headers: raw.headers,
      ip: platformRequest.ip ?? raw.socket?.remoteAddress,
      raw: platformRequest,
    },
    url: new URL(path, 'http://dashboard.invalid'),
    response,
  };
}

const SECURITY_HEADERS = {
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY',
  'referrer-policy': 'no-referrer',
};

/** @internal Answers with a body and the dashboard's security headers. */
export function answer(
  response: ServerResponse,
  status: number,
  body: string,
  headers: Record<string, string> = {},
): void {
  response.writeHead(status, { ...SECURITY_HEADERS, 'cache-control': 'no-store', ...headers });
  response.end(body);
}

/** @internal Answers with JSON. */
export function answerJson(response: ServerResponse, status: number, body: unknown): void {
  answer(response, status, JSON.stringify(body), { 'content-type': 'application/json; charset=utf-8' });
}
