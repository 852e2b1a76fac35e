import 'reflect-metadata';
import { bootstrap } from './bootstrap.js';

bootstrap(process.env.PORT ?? 3000).then(
  ({ eventId }) => console.log(`order/created sent as ${eventId}: watch the reserve-stock run`),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
