import { Inject, Injectable } from '@nestjs/common';
import type { Inngest } from 'inngest';
import { INNGEST_RUNTIME } from './inngest.constants';
import type { InngestEventName, InngestEventPayload } from './inngest.events';
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
   * the sync error. Tests await it before sending events.
   */
  whenSynced(): Promise<void> {
    return this.syncState.whenSynced;
  }

  /**
   * Sends one event or several; resolves with the ids Inngest assigned, in order.
   * Names and payloads are checked against the `InngestEvents` map.
   */
  async send<TName extends InngestEventName>(
    events: InngestEventPayload<TName> | InngestEventPayload<TName>[],
  ): Promise<{ ids: string[] }> {
    const result = await this.runtime.client.send(events as never);
    return { ids: [...result.ids] };
  }
}
