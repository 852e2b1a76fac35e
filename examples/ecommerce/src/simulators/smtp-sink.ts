import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import express from 'express';
import { SMTPServer } from 'smtp-server';
import { listen, type RunningServer } from './http-server';

/** An email the sink received. */
export interface ReceivedEmail {
  from: string;
  to: string[];
  subject: string;
  /** The whole message as sent, headers and body. */
  raw: string;
  receivedAt: string;
}

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

/**
 * A local SMTP server that accepts every message (no TLS, no auth) and keeps it in memory, with an
 * HTTP inbox to read them, so the example sends real email with a real SMTP client and nothing
 * leaves the machine.
 */
export async function startSmtpSink(options: { port?: number; inboxPort?: number } = {}): Promise<SmtpSink> {
  const messages: ReceivedEmail[] = [];
  const smtp = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS', 'AUTH'],
    logger: false,
    onData(stream, session, callback) {
      const chunks: Buffer[] = [];
      stream.on('data', (chunk: Buffer) => chunks.push(chunk));
      stream.on('end', () => {
        const raw = Buffer.concat(chunks).toString('utf8');
        messages.push({
          from: session.envelope.mailFrom ? session.envelope.mailFrom.address : '',
          to: session.envelope.rcptTo.map((recipient) => recipient.address),
          subject: headerOf(raw, 'Subject'),
          raw,
          receivedAt: new Date().toISOString(),
        });
        callback();
      });
    },
  });
  smtp.listen(options.port ?? 0, '127.0.0.1');
  await once(smtp.server, 'listening');
  const smtpPort = (smtp.server.address() as AddressInfo).port;

  const app = express();
  app.get('/messages', (req, res) => {
    const to = typeof req.query.to === 'string' ? req.query.to : undefined;
    const found = to ? messages.filter((message) => message.to.includes(to)) : messages;
    res.json(found.map(({ raw: _raw, ...summary }) => summary));
  });
  const inbox: RunningServer = await listen(app, options.inboxPort);

  return {
    smtpUrl: `smtp://127.0.0.1:${smtpPort}`,
    inboxUrl: inbox.url,
    messages,
    async close() {
      await Promise.all([inbox.close(), new Promise<void>((resolve) => smtp.close(() => resolve()))]);
    },
  };
}
