import type { CircuitBreaker } from '@sagaline/circuit-breaker';
import type { ShippingAddress } from '../domain/events';
import { type JsonResponse, requestJson } from '../integrations/http-json';

/** A shipment label at the carrier. */
export interface Shipment {
  id: string;
  trackingNumber: string;
}

/** The carrier refused the shipment (e.g. an undeliverable address): permanent for this order. */
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

  /** Posts through the breaker; `accept` turns the answer into the result or throws a refusal. */
  private post<T>(
    path: string,
    body: unknown,
    accept: (response: JsonResponse) => T,
    idempotencyKey?: string,
  ): Promise<T> {
    return this.breaker.execute(async (signal) => {
      const response = await requestJson('The carrier', `${this.baseUrl}${path}`, {
        method: 'POST',
        body,
        idempotencyKey,
        signal,
      });
      if (response.status >= 500)
        throw new CarrierError(response.status, response.body?.error?.message ?? 'no detail');
      return accept(response);
    });
  }

  /** Creates a label for the order's parcel. */
  createShipment(orderId: string, address: ShippingAddress): Promise<Shipment> {
    return this.post(
      '/v1/shipments',
      { reference: orderId, address },
      ({ status, body }) => {
        if (status !== 201 && status !== 200) throw refusal(status, body);
        return { id: body.id, trackingNumber: body.trackingNumber };
      },
      `shipment-${orderId}`,
    );
  }

  /** Hands the parcel to the carrier. */
  dispatch(shipmentId: string): Promise<void> {
    return this.post(`/v1/shipments/${shipmentId}/dispatch`, {}, ({ status, body }) => {
      if (status !== 200) throw refusal(status, body);
    });
  }

  /** Voids a label that has not been dispatched; voiding twice is fine. */
  cancel(shipmentId: string): Promise<void> {
    return this.post(`/v1/shipments/${shipmentId}/cancel`, {}, ({ status, body }) => {
      if (status !== 200 && status !== 404) throw refusal(status, body);
    });
  }
}

function refusal(status: number, body: any): ShipmentRejectedError {
  return new ShipmentRejectedError(
    body?.error?.code ?? `http_${status}`,
    body?.error?.message ?? 'no detail',
  );
}
