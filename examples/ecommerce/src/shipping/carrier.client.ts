import type { ShippingAddress } from '../domain/events';
import { requestJson } from '../integrations/http-json';

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

/** A small client of the carrier's shipments API. */
export class CarrierClient {
  constructor(
    private readonly baseUrl: string,
    private readonly timeoutMs: number,
  ) {}

  private async post(path: string, body: unknown, idempotencyKey?: string) {
    const response = await requestJson('The carrier', `${this.baseUrl}${path}`, {
      method: 'POST',
      body,
      idempotencyKey,
      timeoutMs: this.timeoutMs,
    });
    if (response.status >= 500)
      throw new CarrierError(response.status, response.body?.error?.message ?? 'no detail');
    return response;
  }

  /** Creates a label for the order's parcel. */
  async createShipment(orderId: string, address: ShippingAddress): Promise<Shipment> {
    const { status, body } = await this.post(
      '/v1/shipments',
      { reference: orderId, address },
      `shipment-${orderId}`,
    );
    if (status !== 201 && status !== 200) {
      throw new ShipmentRejectedError(
        body?.error?.code ?? `http_${status}`,
        body?.error?.message ?? 'no detail',
      );
    }
    return { id: body.id, trackingNumber: body.trackingNumber };
  }

  /** Hands the parcel to the carrier. */
  async dispatch(shipmentId: string): Promise<void> {
    const { status, body } = await this.post(`/v1/shipments/${shipmentId}/dispatch`, {});
    if (status !== 200) {
      throw new ShipmentRejectedError(
        body?.error?.code ?? `http_${status}`,
        body?.error?.message ?? 'no detail',
      );
    }
  }

  /** Voids a label that has not been dispatched; voiding twice is fine. */
  async cancel(shipmentId: string): Promise<void> {
    const { status, body } = await this.post(`/v1/shipments/${shipmentId}/cancel`, {});
    if (status !== 200 && status !== 404) {
      throw new ShipmentRejectedError(
        body?.error?.code ?? `http_${status}`,
        body?.error?.message ?? 'no detail',
      );
    }
  }
}
