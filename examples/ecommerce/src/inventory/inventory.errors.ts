import type { Shortage } from '../domain/events';

/** Not enough stock for a reservation; nothing was reserved. */
export class OutOfStockError extends Error {
  readonly code = 'OUT_OF_STOCK';
  constructor(readonly shortages: Shortage[]) {
    super(
      `Not enough stock: ${shortages.map((s) => `${s.productId} (requested ${s.requested}, available ${s.available})`).join(', ')}. ` +
        'Restock the product or order fewer.',
    );
    this.name = 'OutOfStockError';
  }
}

/** The reservation does not exist for this tenant. */
export class ReservationNotFoundError extends Error {
  readonly code = 'RESERVATION_NOT_FOUND';
  constructor(readonly reservationId: string) {
    super(`No reservation "${reservationId}" for this tenant.`);
    this.name = 'ReservationNotFoundError';
  }
}
