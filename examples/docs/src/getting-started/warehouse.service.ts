import { Injectable } from '@nestjs/common';

export interface Reservation {
  id: string;
  orderId: string;
  confirmed: boolean;
}

/** Stands in for your own service: it keeps reservations in memory. */
@Injectable()
export class WarehouseService {
  readonly reservations = new Map<string, Reservation>();

  async reserve(orderId: string): Promise<Reservation> {
    const reservation = { id: `r-${orderId}`, orderId, confirmed: false };
    this.reservations.set(reservation.id, reservation);
    return reservation;
  }

  async confirm(reservationId: string): Promise<Reservation> {
    const reservation = this.reservations.get(reservationId);
    if (!reservation) throw new Error(`No reservation ${reservationId}`);
    reservation.confirmed = true;
    return reservation;
  }
}
