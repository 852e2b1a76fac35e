import { startShop } from './bootstrap';
import { loadShopConfig } from './config/shop-config';

const config = loadShopConfig();
const shop = await startShop(config);
const { services, settings, url } = shop;

console.log(`
  Sagaline example shop is running.

  Shop API               ${url}
    health               ${url}/health/detailed
    metrics              ${url}/metrics
  Payment gateway        ${settings.paymentGatewayUrl}${services.paymentGateway ? '   (simulated; PUT /__control {"outage":true})' : ''}
  Carrier                ${settings.carrierUrl}${services.carrier ? '   (simulated)' : ''}
  SMTP                   ${settings.smtpUrl}${services.smtpSink ? `   (sink; read mail at ${services.smtpSink.inboxUrl}/messages)` : ''}
  Database               ${settings.databaseUrl ? `PostgreSQL, schema ${settings.databaseSchema}` : `PGlite ${settings.pgliteDir ?? '(in memory)'}`}

  Try it (tenant acme):
    curl -s -X POST ${url}/orders -H 'content-type: application/json' -H 'x-tenant-id: acme' \\
      -d '{"customerId":"c-1","email":"ada@example.com","items":[{"productId":"widget","quantity":1}],"paymentToken":"tok_visa","shippingAddress":{"name":"Ada","line1":"1 Main St","city":"Springfield","postalCode":"12345","country":"US"}}'

  Ctrl+C stops everything.
`);

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    shop.close().then(
      () => process.exit(0),
      (error) => {
        console.error(error);
        process.exit(1);
      },
    );
  });
}
