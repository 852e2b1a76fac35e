import { Inject, Injectable } from '@nestjs/common';
import type { Inngest } from 'inngest';
import { INNGEST_RUNTIME } from './inngest.constants';
import type { InngestEventName, InngestEventPayload, InngestEventToSend } from './inngest.events';
import type { InngestMode } from './inngest.options';
import type { InngestRuntime } from './inngest.runtime';
import { InngestFunctionRegistry, type RegisteredInngestFunction } from './inngest-function.registry';
import { InngestSyncState } from './inngest-sync.state';

/**
 * The app's handle on Inngest: send events, reach the client, list the functions served.
 *
 * @example
 * ```ts
 * const { ids } = await inngest.send({ name: 'order/created', data: { orderId: 'o-1' } });
 * ```
 */
@Injectable()
export class InngestService {
  /** @internal */
  constructor(
    @Inject(INNGEST_RUNTIME) private readonly runtime: InngestRuntime,
    private readonly registry: InngestFunctionRegistry,
    private readonly syncState: InngestSyncState,
  ) {}

  /** The `Inngest` client, for anything this service does not wrap. */
  get client(): Inngest {
    return this.runtime.client;
  }

  /** Where functions run: `embedded`, `dev` or `cloud`. */
  get mode(): InngestMode {
    return this.runtime.mode;
  }

  /** Every function the serve endpoint serves. */
  get functions(): RegisteredInngestFunction[] {
    return this.registry.list();
  }

  /** Whether the app has synced its functions with the server (or the embedded engine). */
  get synced(): boolean {
    return this.syncState.synced;
  }

  /**
   * Resolves once the app has synced (in embedded mode: right after `app.listen()`); rejects with
   * the sync error, or with `InngestSyncTimeoutError` after `syncTimeoutMs` (default 30 s), which
   * is what an app that never calls `app.listen()` gets.
   */
  whenSynced(): Promise<void> {
    return this.syncState.whenSynced();
  }

  /**
   * Sends one event or several; resolves with the ids Inngest assigned, in order.
   * Names and payloads are checked against the `InngestEvents` map at compile time, and at run time
   * `data` must be a JSON object (`InngestEventPayloadError`) that passes the module's `schemas`
   * (`InngestEventSchemaError`); nothing of the batch is sent otherwise.
   *
   * In embedded mode a send waits for the app's first sync, so events sent right after
   * `app.listen()` start their runs; it fails with the sync error, or with
   * `InngestSyncTimeoutError` when the app does not sync within `syncTimeoutMs`.
   */
  async send<TName extends InngestEventName>(
    events: InngestEventToSend<TName> | InngestEventPayload<TName>[],
  ): Promise<{ ids: string[] }> {
    const result = await this.runtime.client.send(events as never);
    return { ids: [...result.ids] };
  }
}
