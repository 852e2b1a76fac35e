import { ulid } from 'ulidx';
import { z } from 'zod';
import { FaultInjector } from './fault-injection';
import { listen, type RunningServer } from './http-server';
import { idempotentRoute } from './idempotent-route';
import { Ledger } from './ledger';
import {
  type Decision,
  lookupRoute,
  parseBody,
  refusal,
  type SimulatorOptions,
  simulatedService,
} from './simulated-service';

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

/** What the carrier records; its ledger is these, in order. */
export type CarrierEvent =
  | { type: 'shipment.label_created'; shipment: CarrierShipment }
  | { type: 'shipment.dispatched'; id: string; at: string }
  | { type: 'shipment.cancelled'; id: string };

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
 * hands the parcel over (again: the same dispatch), `POST /v1/shipments/:id/cancel` voids a label not
 * yet dispatched. Addresses with postal code `00000` are refused with 422 `address_undeliverable`.
 * With a `dataDir`, labels, dispatches and cancellations are on disk before the answer leaves.
 */
export async function startCarrier(options: SimulatorOptions = {}): Promise<CarrierSimulator> {
  const faults = new FaultInjector(options.faults);
  const shipments = new Map<string, CarrierShipment>();
  const ledger = Ledger.open<CarrierEvent>({
    name: 'carrier',
    dataDir: options.dataDir,
    evolve(event) {
      if (event.type === 'shipment.label_created') {
        shipments.set(event.shipment.id, { ...event.shipment });
        return;
      }
      const shipment = shipments.get(event.id);
      if (!shipment) return;
      if (event.type === 'shipment.dispatched') {
        shipment.status = 'dispatched';
        shipment.dispatchedAt = event.at;
      } else shipment.status = 'cancelled';
    },
  });

  const createShipment = (body: unknown): Decision<CarrierEvent> => {
    const parsed = parseBody(shipmentRequest, body);
    if (!parsed.ok) return parsed.decision;
    const request = parsed.value;
    if (request.address.postalCode === UNDELIVERABLE_POSTAL_CODE) {
      return refusal(
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
    return { status: 201, body: shipment, events: [{ type: 'shipment.label_created', shipment }] };
  };

  /** Decides with the shipment named in the path, or answers 404. */
  const withShipment =
    (decide: (shipment: CarrierShipment) => Decision<CarrierEvent>) =>
    (id: string): Decision<CarrierEvent> => {
      const shipment = shipments.get(id);
      if (!shipment) return refusal(404, 'resource_missing', `No such shipment: '${id}'.`);
      return decide(shipment);
    };

  const dispatch = withShipment((shipment) => {
    if (shipment.status === 'cancelled') {
      return refusal(409, 'shipment_cancelled', 'A cancelled shipment cannot be dispatched.');
    }
    if (shipment.status === 'dispatched') return { status: 200, body: { ...shipment } };
    const at = new Date().toISOString();
    return {
      status: 200,
      body: { ...shipment, status: 'dispatched', dispatchedAt: at },
      events: [{ type: 'shipment.dispatched', id: shipment.id, at }],
    };
  });

  const cancel = withShipment((shipment) => {
    if (shipment.status === 'dispatched') {
      return refusal(409, 'shipment_dispatched', 'The parcel has left; it cannot be cancelled.');
    }
    if (shipment.status === 'cancelled') return { status: 200, body: { ...shipment } };
    return {
      status: 200,
      body: { ...shipment, status: 'cancelled' },
      events: [{ type: 'shipment.cancelled', id: shipment.id }],
    };
  });

  const app = simulatedService(faults, (app) => {
    app.post(
      '/v1/shipments',
      idempotentRoute(ledger, (req) => createShipment(req.body)),
    );
    app.get('/v1/shipments/:id', lookupRoute(shipments, 'shipment'));
    app.post(
      '/v1/shipments/:id/dispatch',
      idempotentRoute(ledger, (req) => dispatch(String(req.params.id))),
    );
    app.post(
      '/v1/shipments/:id/cancel',
      idempotentRoute(ledger, (req) => cancel(String(req.params.id))),
    );
  });

  const server = await listen(app, { service: 'carrier', port: options.port, release: () => ledger.close() });
  return { ...server, faults, shipments };
}
