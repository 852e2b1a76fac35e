/** @internal A framework request handler produced by one of the SDK's `serve()` adapters. */
export type FrameworkHandler = (req: unknown, res: unknown) => Promise<unknown>;

/** @internal What the endpoint needs from the module: the handler, built once functions are known. */
export interface ServeEndpoint {
  /** Absolute path of the endpoint, global prefix included. */
  readonly path: string;
  /** Largest accepted body, in bytes. */
  readonly bodyLimit: number;
  /** The SDK handler for this framework; throws until the app has bootstrapped. */
  handler(): FrameworkHandler;
  /** Called with the request method and response status of each handled request. */
  onHandled(method: string, status: number): void;
}

/** @internal The answer for a body over the limit, naming the option that raises it. */
export function bodyTooLargeMessage(limit: number): string {
  return `Request body exceeds the Inngest serve endpoint limit of ${limit} bytes: raise \`bodyLimit\` in InngestModule.forRoot().`;
}
