import type { CircuitBreaker } from '@sagaline/circuit-breaker';
import type { ShippingAddress } from '../domain/events';
import { type JsonResponse, refusedError, requestJson } from '../integrations/http-json';

const SERVICE = 'The carrier';

/** A shipment label at the carrier. */
export interface Shipment {
  id: string;
  trackingNumber: string;
}

/**
 * The carrier refused to deliver to the address (`address_undeliverable`): a business outcome,
 * permanent for this order. Any other `4xx` is a `ServiceRefusedError`, also permanent; a `429`
 * is a `RateLimitedError`.
 */
export class ShipmentRejectedError extends Error {
  readonly code = 'SHIPMENT_REJECTED';
  constructor(
    readonly reason: string,
    readonly detail: string,
  ) {
    super(`The carrier refused the shipment (${reason}): ${detail}`);
    this.name = 'ShipmentRejectedError';
  }
}

/** The carrier failed with a server error; retry later. */
export class CarrierError extends Error {
  readonly code = 'CARRIER_ERROR';
  constructor(
    readonly status: number,
    detail: string,
  ) {
    super(`The carrier failed with ${status}: ${detail}. It will be retried.`);
    this.name = 'CarrierError';
  }
}

/**
 * A small client of the carrier's shipments API. Every call goes through the `carrier` circuit
 * breaker: while it is open the carrier is not called, and the call fails at once.
 */
export class CarrierClient {
  constructor(
    private readonly baseUrl: string,
    private readonly breaker: Pick<CircuitBreaker, 'execute'>,
  ) {}

  /** Posts through the breaker; `accept` turns the answer into the result or throws `failure(response)`. */
  private post<T>(
    path: string,
    body: unknown,
    accept: (response: JsonResponse) => T,
    idempotencyKey?: string,
  ): Promise<T> {
    return this.breaker.execute(async (signal) => {
      const response = await requestJson(SERVICE, `${this.baseUrl}${path}`, {
        method: 'POST',
        body,
        idempotencyKey,
        signal,
      });
      if (response.status >= 500) throw failure(response);
      return accept(response);
    });
  }

  /** Creates a label for the order's parcel. */
  createShipment(orderId: string, address: ShippingAddress): Promise<Shipment> {
    return this.post(
      '/v1/shipments',
      { reference: orderId, address },
      (response) => {
        if (response.status !== 201 && response.status !== 200) throw failure(response);
        return { id: response.body.id, trackingNumber: response.body.trackingNumber };
      },
      `shipment-${orderId}`,
    );
  }

  /** Hands the parcel to the carrier. */
  dispatch(shipmentId: string): Promise<void> {
    return this.post(`/v1/shipments/${shipmentId}/dispatch`, {}, (response) => {
      if (response.status !== 200) throw failure(response);
    });
  }

  /** Voids a label that has not been dispatched; voiding twice is fine. */
  cancel(shipmentId: string): Promise<void> {
    return this.post(`/v1/shipments/${shipmentId}/cancel`, {}, (response) => {
      if (response.status !== 200 && response.status !== 404) throw failure(response);
    });
  }
}

/**
 * What an answer other than the expected one means: the address refused (a business outcome), the
 * request refused (another `4xx`; neither is retried), or the carrier failing (retried).
 */
function failure(response: JsonResponse): Error {
  const { status, body } = response;
  if (status < 400 || status >= 500) return new CarrierError(status, body?.error?.message ?? 'no detail');
  if (body?.error?.code === 'address_undeliverable') {
    return new ShipmentRejectedError(body.error.code, body.error.message ?? 'no detail');
  }
  return refusedError(SERVICE, response);
}
