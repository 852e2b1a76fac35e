import { Logger } from '@nestjs/common';
import express from 'express';
import { SMTPServer } from 'smtp-server';
import { listen, type RunningServer, SimulatorPortInUseError } from './http-server';
import { Ledger } from './ledger';

/** An email the sink received. */
export interface ReceivedEmail {
  from: string;
  to: string[];
  subject: string;
  /** The whole message as sent, headers and body. */
  raw: string;
  receivedAt: string;
}

/** What the sink records: each message it accepted. */
export type SmtpSinkEvent = { type: 'mail.received'; message: ReceivedEmail };

/** A running SMTP sink: where to send mail, where to read it over HTTP, and what it received. */
export interface SmtpSink {
  /** `smtp://127.0.0.1:<port>`, for nodemailer. */
  readonly smtpUrl: string;
  /** The HTTP inbox: `GET <inboxUrl>/messages?to=<address>`. */
  readonly inboxUrl: string;
  readonly messages: readonly ReceivedEmail[];
  close(): Promise<void>;
}

function headerOf(raw: string, name: string): string {
  const headers = raw.split(/\r?\n\r?\n/, 1)[0] ?? '';
  // folded header lines continue with whitespace
  const match = new RegExp(`^${name}:[ \\t]*(.*(?:\\r?\\n[ \\t].*)*)`, 'im').exec(headers);
  return match ? match[1].replace(/\r?\n[ \t]+/g, ' ').trim() : '';
}

/** Starts `smtp` on `host:port`; resolves with the port once it accepts connections. */
function listenSmtp(smtp: SMTPServer, port: number, host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const failed = (error: NodeJS.ErrnoException) =>
      reject(error.code === 'EADDRINUSE' ? new SimulatorPortInUseError('SMTP sink', port, error) : error);
    smtp.once('error', failed);
    smtp.listen(port, host, () => {
      smtp.off('error', failed);
      resolve((smtp.server.address() as { port: number }).port);
    });
  });
}

/**
 * A local SMTP server that accepts every message (no TLS, no auth), with an HTTP inbox to read
 * them, so the example sends real email with a real SMTP client and nothing leaves the machine.
 * With a `dataDir`, a message is on disk before the sink answers `250` to it.
 */
export async function startSmtpSink(
  options: { port?: number; inboxPort?: number; dataDir?: string } = {},
): Promise<SmtpSink> {
  const logger = new Logger('SmtpSink');
  const messages: ReceivedEmail[] = [];
  const ledger = Ledger.open<SmtpSinkEvent>({
    name: 'smtp-sink',
    dataDir: options.dataDir,
    evolve: (event) => messages.push(event.message),
  });
  const smtp = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS', 'AUTH'],
    logger: false,
    // connections left open (a client's pool) are cut this long after close(), not 30 s
    closeTimeout: 2_000,
    onData(stream, session, callback) {
      const chunks: Buffer[] = [];
      stream.on('data', (chunk: Buffer) => chunks.push(chunk));
      stream.on('end', () => {
        const raw = Buffer.concat(chunks).toString('utf8');
        const message: ReceivedEmail = {
          from: session.envelope.mailFrom ? session.envelope.mailFrom.address : '',
          to: session.envelope.rcptTo.map((recipient) => recipient.address),
          subject: headerOf(raw, 'Subject'),
          raw,
          receivedAt: new Date().toISOString(),
        };
        try {
          ledger.commit([{ type: 'mail.received', message }]);
          callback();
        } catch (error) {
          callback(error as Error); // the client is told 4xx/5xx and may send again
        }
      });
    },
  });

  let smtpPort: number;
  try {
    smtpPort = await listenSmtp(smtp, options.port ?? 0, '127.0.0.1');
  } catch (error) {
    ledger.close();
    throw error;
  }
  smtp.on('error', (error) => logger.warn(`SMTP: ${error.message}`));
  const closeSmtp = () => new Promise<void>((resolve) => smtp.close(() => resolve()));

  const app = express();
  app.get('/messages', (req, res) => {
    const to = typeof req.query.to === 'string' ? req.query.to : undefined;
    const found = to ? messages.filter((message) => message.to.includes(to)) : messages;
    res.json(found.map(({ raw: _raw, ...summary }) => summary));
  });
  let inbox: RunningServer;
  try {
    inbox = await listen(app, { service: 'SMTP inbox', port: options.inboxPort });
  } catch (error) {
    await closeSmtp();
    ledger.close();
    throw error;
  }

  return {
    smtpUrl: `smtp://127.0.0.1:${smtpPort}`,
    inboxUrl: inbox.url,
    messages,
    async close() {
      await Promise.all([inbox.close(), closeSmtp()]);
      ledger.close();
    },
  };
}
