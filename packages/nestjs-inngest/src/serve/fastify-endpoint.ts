import { bodyTooLargeMessage, type ServeEndpoint } from './serve-handler';

interface FastifyReplyLike {
  statusCode: number;
}
interface FastifyScope {
  removeAllContentTypeParsers(): void;
  addContentTypeParser(
    type: string,
    options: { parseAs: 'string'; bodyLimit: number },
    parser: (req: unknown, body: string, done: (error: Error | null, body?: unknown) => void) => void,
  ): void;
  setErrorHandler(
    handler: (
      error: Error & { statusCode?: number; code?: string },
      req: unknown,
      reply: FastifyReplyLike & { code(status: number): { send(body: unknown): unknown } },
    ) => unknown,
  ): void;
  route(options: {
    method: string[];
    url: string;
    bodyLimit: number;
    handler: (req: { method: string }, reply: FastifyReplyLike) => Promise<unknown>;
  }): void;
}
interface FastifyInstanceLike {
  register(plugin: (scope: FastifyScope) => Promise<void>): unknown;
}

/**
 * @internal Mounts the endpoint on a Fastify instance, in its own encapsulated scope whose body
 * parser keeps the raw JSON text (for signature checks) and applies the endpoint's size limit.
 */
export function mountFastifyEndpoint(fastify: FastifyInstanceLike, endpoint: ServeEndpoint): void {
  fastify.register(async (scope) => {
    scope.removeAllContentTypeParsers();
    scope.addContentTypeParser(
      '*',
      { parseAs: 'string', bodyLimit: endpoint.bodyLimit },
      (_req, body, done) => done(null, body === '' ? undefined : body),
    );
    scope.setErrorHandler((error, _req, reply) => {
      if (error.code === 'FST_ERR_CTP_BODY_TOO_LARGE') {
        return reply.code(413).send({ message: bodyTooLargeMessage(endpoint.bodyLimit) });
      }
      throw error;
    });
    scope.route({
      method: ['GET', 'POST', 'PUT'],
      url: endpoint.path,
      bodyLimit: endpoint.bodyLimit,
      handler: async (req, reply) => {
        const result = await endpoint.handler()(req, reply);
        endpoint.onHandled(req.method, reply.statusCode);
        return result;
      },
    });
  });
}
