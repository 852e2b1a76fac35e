import type { Response } from 'express';
import { ulid } from 'ulidx';
import { z } from 'zod';
import { FaultInjector, type FaultSettings } from './fault-injection';
import { listen, type RunningServer } from './http-server';
import { parseBody, sendError, simulatedServiceApp } from './simulated-service';

/** A postal code the carrier refuses to deliver to, so a shipping failure can be shown on demand. */
export const UNDELIVERABLE_POSTAL_CODE = '00000';

/** A shipment as the carrier returns it. */
export interface CarrierShipment {
  id: string;
  reference: string;
  trackingNumber: string;
  status: 'label_created' | 'dispatched' | 'cancelled';
  createdAt: string;
  dispatchedAt?: string;
}

const shipmentRequest = z.object({
  reference: z.string().min(1),
  address: z.object({
    name: z.string(),
    line1: z.string(),
    city: z.string(),
    postalCode: z.string(),
    country: z.string(),
  }),
  parcels: z.number().int().positive().default(1),
});

/** A running simulated carrier: its URL, its fault knobs, and its shipments. */
export interface CarrierSimulator extends RunningServer {
  readonly faults: FaultInjector;
  readonly shipments: ReadonlyMap<string, CarrierShipment>;
}

/**
 * A parcel carrier over HTTP: `POST /v1/shipments` creates a label, `POST /v1/shipments/:id/dispatch`
 * hands the parcel over, `POST /v1/shipments/:id/cancel` voids a label not yet dispatched.
 * Addresses with postal code `00000` are refused with 422 `address_undeliverable`.
 */
export async function startCarrier(
  options: { port?: number; faults?: Partial<FaultSettings> } = {},
): Promise<CarrierSimulator> {
  const faults = new FaultInjector(options.faults);
  const shipments = new Map<string, CarrierShipment>();
  const app = simulatedServiceApp(faults);

  /** Runs `change` on the shipment named in the path, or answers 404. */
  const withShipment = (id: string, res: Response, change: (shipment: CarrierShipment) => void) => {
    const shipment = shipments.get(id);
    if (!shipment) return sendError(res, 404, 'resource_missing', `No such shipment: '${id}'.`);
    change(shipment);
  };

  app.post('/v1/shipments', (req, res) => {
    const request = parseBody(shipmentRequest, req, res);
    if (!request) return;
    if (request.address.postalCode === UNDELIVERABLE_POSTAL_CODE) {
      return sendError(
        res,
        422,
        'address_undeliverable',
        `We do not deliver to postal code ${UNDELIVERABLE_POSTAL_CODE}.`,
      );
    }
    const id = ulid();
    const shipment: CarrierShipment = {
      id: `shp_${id}`,
      reference: request.reference,
      trackingNumber: `1Z${id.slice(-12)}`,
      status: 'label_created',
      createdAt: new Date().toISOString(),
    };
    shipments.set(shipment.id, shipment);
    res.status(201).json(shipment);
  });

  app.get('/v1/shipments/:id', (req, res) =>
    withShipment(req.params.id, res, (shipment) => res.json(shipment)),
  );

  app.post('/v1/shipments/:id/dispatch', (req, res) =>
    withShipment(req.params.id, res, (shipment) => {
      if (shipment.status === 'cancelled') {
        return sendError(res, 409, 'shipment_cancelled', 'A cancelled shipment cannot be dispatched.');
      }
      if (shipment.status === 'label_created') {
        shipment.status = 'dispatched';
        shipment.dispatchedAt = new Date().toISOString();
      }
      res.json(shipment);
    }),
  );

  app.post('/v1/shipments/:id/cancel', (req, res) =>
    withShipment(req.params.id, res, (shipment) => {
      if (shipment.status === 'dispatched') {
        return sendError(res, 409, 'shipment_dispatched', 'The parcel has left; it cannot be cancelled.');
      }
      shipment.status = 'cancelled';
      res.json(shipment);
    }),
  );

  const server = await listen(app, options.port);
  return { ...server, faults, shipments };
}
