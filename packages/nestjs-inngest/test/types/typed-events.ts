// Type-level tests for the event map: compiled by `pnpm typecheck` (tsconfig.json beside this file).
// Every `@ts-expect-error` line must fail to compile, so a type that stops rejecting bad input
// breaks the typecheck.
import { z } from 'zod';
import type {
  InngestContext,
  InngestEventSchemas,
  InngestFunctionOptions,
  InngestModuleOptions,
  InngestService,
  InngestTrigger,
} from '../../src';

declare module '../../src' {
  interface InngestEvents {
    'order/created': { orderId: string; total: number };
    'order/cancelled': { orderId: string; reason: string };
  }
}

declare const inngest: InngestService;

export async function sendsDeclaredEvents() {
  await inngest.send({ name: 'order/created', data: { orderId: 'o-1', total: 10 } });
  await inngest.send([
    { name: 'order/created', data: { orderId: 'o-1', total: 10 } },
    { name: 'order/cancelled', data: { orderId: 'o-1', reason: 'customer' } },
  ]);
  // @ts-expect-error an undeclared event name
  await inngest.send({ name: 'order/shipped', data: {} });
  // @ts-expect-error a payload missing a declared field
  await inngest.send({ name: 'order/created', data: { orderId: 'o-1' } });
  // @ts-expect-error the payload of another event
  await inngest.send({ name: 'order/cancelled', data: { orderId: 'o-1', total: 10 } });
}

export const triggers: InngestTrigger[] = [
  { event: 'order/created' },
  { event: 'order/*', if: 'event.data.total > 100' },
  { cron: '0 3 * * *' },
  // @ts-expect-error an undeclared event name
  { event: 'payment/processed' },
  // @ts-expect-error event and cron together
  { event: 'order/created', cron: '* * * * *' },
];

export const options: InngestFunctionOptions = { id: 'f', triggers: { event: 'order/cancelled' } };

export function handler({ event }: InngestContext<'order/created'>): number {
  const total: number = event.data.total;
  // @ts-expect-error not a field of order/created
  event.data.reason;
  return total;
}

export const schemas: InngestEventSchemas = {
  'order/created': z.object({ orderId: z.string(), total: z.number().positive() }),
  // @ts-expect-error a schema whose output lacks a field of the declared payload
  'order/cancelled': z.object({ orderId: z.string() }),
};

export const moduleOptions: InngestModuleOptions = {
  appId: 'shop',
  schemas: {
    // @ts-expect-error a schema for an undeclared event name
    'order/shipped': z.object({ orderId: z.string() }),
  },
};
