import { ulid } from 'ulidx';
import { FaultInjector } from './fault-injection';
import { listen, type RunningServer } from './http-server';
import { idempotentRoute } from './idempotent-route';
import { Ledger } from './ledger';
import { type Decision, refusal, type SimulatorOptions, simulatedService } from './simulated-service';

/** An alert the sink received: the JSON body as posted, with an id and the time it came. */
export interface ReceivedAlert {
  id: string;
  receivedAt: string;
  body: unknown;
}

/** What the alert sink records: each alert it accepted. */
export type AlertSinkEvent = { type: 'alert.received'; alert: ReceivedAlert };

/** A running alert sink: its base URL, the webhook to post to, its fault knobs, and the alerts. */
export interface AlertSink extends RunningServer {
  /** `<url>/alerts`: `POST` a JSON alert there, `GET` it to list them. */
  readonly webhookUrl: string;
  readonly faults: FaultInjector;
  readonly alerts: readonly ReceivedAlert[];
}

/**
 * A webhook receiver standing in for an alerting service (PagerDuty, a Slack hook...):
 * `POST /alerts` stores the JSON body and answers 201 `{ id, receivedAt }`; `GET /alerts` lists the
 * alerts, oldest first. `Idempotency-Key` and the `/__control` faults work as on the other
 * simulators, so a sender's retries can be tried out. With a `dataDir` an alert is on disk before
 * the 201.
 */
export async function startAlertSink(options: SimulatorOptions = {}): Promise<AlertSink> {
  const faults = new FaultInjector(options.faults);
  const alerts: ReceivedAlert[] = [];
  const ledger = Ledger.open<AlertSinkEvent>({
    name: 'alert-sink',
    dataDir: options.dataDir,
    evolve: (event) => alerts.push(event.alert),
  });

  const app = simulatedService(faults, (app) => {
    app.post(
      '/alerts',
      idempotentRoute(ledger, (req): Decision<AlertSinkEvent> => {
        if (req.body === undefined || req.body === null || typeof req.body !== 'object') {
          return {
            ...refusal(
              400,
              'parameter_invalid',
              'Post the alert as a JSON object or array, with content-type: application/json.',
            ),
            keep: false,
          };
        }
        const alert: ReceivedAlert = {
          id: `alr_${ulid()}`,
          receivedAt: new Date().toISOString(),
          body: req.body,
        };
        return {
          status: 201,
          body: { id: alert.id, receivedAt: alert.receivedAt },
          events: [{ type: 'alert.received', alert }],
        };
      }),
    );
    app.get('/alerts', (_req, res) => {
      res.json(alerts);
    });
  });

  const server = await listen(app, {
    service: 'alert sink',
    port: options.port,
    release: () => ledger.close(),
  });
  return { ...server, webhookUrl: `${server.url}/alerts`, faults, alerts };
}
