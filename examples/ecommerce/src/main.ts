import { startShop } from './bootstrap';
import { loadShopConfig } from './config/shop-config';

const config = loadShopConfig();
const starting = startShop(config);

// Registered before the shop says it is running: until a process has a listener, SIGTERM ends it
// at once (the operating system's default), which a supervisor signalling right after the banner
// would hit. `on`, not `once`, and kept: a library's signal-exit handler re-raises the signal when
// it finds itself the only listener, which killed the shop before it had closed.
let stopping = false;
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    if (stopping) return;
    stopping = true;
    starting
      .then((shop) => shop.close())
      .then(
        () => process.exit(0),
        (error) => {
          console.error(error);
          process.exit(1);
        },
      );
  });
}

const shop = await starting;
const { alertWebhookUrl, services, settings, url } = shop;
const simulated = (configured: string, simulator: string | undefined) => configured === simulator;

console.log(`
  Sagaline example shop is running.

  Shop API               ${url}
    health               ${url}/health/detailed
    metrics              ${url}/metrics
  Dashboard              ${url}/dashboard   (user ${process.env.DASHBOARD_USER || 'admin'}; password: DASHBOARD_PASSWORD, or the one logged above)
  Payment gateway        ${settings.paymentGatewayUrl}${simulated(settings.paymentGatewayUrl, services.urls?.paymentGateway) ? '   (simulated; PUT /__control {"outage":true})' : ''}
  Carrier                ${settings.carrierUrl}${simulated(settings.carrierUrl, services.urls?.carrier) ? '   (simulated)' : ''}
  SMTP                   ${settings.smtpUrl}${simulated(settings.smtpUrl, services.urls?.smtp) ? `   (sink; read mail at ${services.urls?.smtpInbox}/messages)` : ''}
  Alert webhook          ${alertWebhookUrl}${simulated(alertWebhookUrl, services.urls?.alertWebhook) ? '   (sink; GET lists the alerts)' : ''}${
    services.urls
      ? `
  Simulators             ${services.process ? `process ${services.process.pid}` : 'in this process'}, ledgers in ${services.dataDir}`
      : ''
  }
  Database               ${settings.databaseUrl ? `PostgreSQL, schema ${settings.databaseSchema}` : `PGlite ${settings.pgliteDir ?? '(in memory)'}`}

  Try it (the original example's first request; no header: the default tenant):
    curl -s -X POST ${url}/orders -H 'content-type: application/json' \\
      -d '{"customerId":"cust-123","items":[{"productId":"prod-1","quantity":2,"price":29.99}],"payment":{"method":"card","cardToken":"tok_visa","amount":59.98},"shipping":{"address":"123 Main St, City, State 12345","method":"standard"}}'
    curl -s ${url}/orders/<id>

  Ctrl+C stops everything.
`);
