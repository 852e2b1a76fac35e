// The app's events, declared once as docs/getting-started.md step 2 shows.
declare module '@sagaline/nestjs-inngest' {
  interface InngestEvents {
    'transfer/requested': { transferId: string; amount: number };
  }
}

/** The payload of `transfer/requested`. */
export interface TransferRequested {
  transferId: string;
  amount: number;
}

/** The stream that holds a transfer's history in the event store. */
export const transferStream = (transferId: string) => `transfer-${transferId}`;
