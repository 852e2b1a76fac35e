/**
 * Injection token of the `Inngest` client the module creates.
 *
 * @example
 * ```ts
 * constructor(@Inject(INNGEST_CLIENT) private readonly inngest: Inngest) {}
 * ```
 */
export const INNGEST_CLIENT: unique symbol = Symbol.for('sagaline:inngest:client');

/**
 * Injection token of the embedded engine started in `mode: 'embedded'` (`null` in other modes).
 * Tests use it to inspect runs: `app.get(INNGEST_EMBEDDED_ENGINE).waitForRun(...)`.
 */
export const INNGEST_EMBEDDED_ENGINE: unique symbol = Symbol.for('sagaline:inngest:embedded-engine');

/** @internal The resolved runtime: client, mode and engine. */
export const INNGEST_RUNTIME: unique symbol = Symbol.for('sagaline:inngest:runtime');
