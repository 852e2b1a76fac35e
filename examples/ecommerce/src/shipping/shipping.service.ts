import { Inject, Injectable } from '@nestjs/common';
import { CircuitBreakerService } from '@sagaline/circuit-breaker';
import { SHOP_SETTINGS, type ShopSettings } from '../config/shop-config.provider';
import type { ShippingAddress } from '../domain/events';
import { BREAKERS } from '../integrations/circuit-breakers';
import { CarrierClient, type Shipment } from './carrier.client';

/**
 * Shipping through the carrier (and its circuit breaker): a label first, the dispatch once the
 * order is confirmed.
 */
@Injectable()
export class ShippingService {
  private readonly carrier: CarrierClient;

  constructor(@Inject(SHOP_SETTINGS) settings: ShopSettings, breakers: CircuitBreakerService) {
    this.carrier = new CarrierClient(settings.carrierUrl, breakers.breaker(BREAKERS.carrier));
  }

  /** Creates the label (idempotent per order). @throws ShipmentRejectedError for an undeliverable address. */
  prepare(orderId: string, address: ShippingAddress): Promise<Shipment> {
    return this.carrier.createShipment(orderId, address);
  }

  /** Hands the parcel over. */
  dispatch(shipmentId: string): Promise<void> {
    return this.carrier.dispatch(shipmentId);
  }

  /** Voids the label (compensation of `prepare`). */
  cancel(shipmentId: string): Promise<void> {
    return this.carrier.cancel(shipmentId);
  }
}
