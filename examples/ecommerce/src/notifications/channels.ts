import { Logger } from '@nestjs/common';
import nodemailer, { type Transporter } from 'nodemailer';
import type { NotificationChannel } from '../config/tenants';

/** What the customer is told, and how to reach them. */
export interface Notification {
  orderId: string;
  subject: string;
  text: string;
  email: string;
  phone?: string;
}

/** One way of reaching a customer. */
export interface NotificationSender {
  readonly channel: NotificationChannel;
  /** Delivers the notification; resolves with the recipient it went to. */
  send(notification: Notification): Promise<{ recipient: string }>;
}

/** Email over SMTP with nodemailer: to the example's SMTP sink, or to `SMTP_URL`. */
export class EmailSender implements NotificationSender {
  readonly channel = 'email';
  private readonly transport: Transporter;

  constructor(
    smtpUrl: string,
    private readonly from: string,
  ) {
    // a pool keeps connections open between notifications instead of one handshake per email
    this.transport = nodemailer.createTransport({ url: smtpUrl, pool: true, maxConnections: 4 } as never);
  }

  async send(notification: Notification): Promise<{ recipient: string }> {
    await this.transport.sendMail({
      from: this.from,
      to: notification.email,
      subject: notification.subject,
      text: notification.text,
      headers: { 'X-Order-Id': notification.orderId },
    });
    return { recipient: notification.email };
  }

  /** Checks that the SMTP server answers, for the health check. */
  verify(): Promise<true> {
    return this.transport.verify();
  }

  close(): void {
    this.transport.close();
  }
}

/**
 * SMS and push have no local server to talk to, so these senders only log what they would send;
 * swap in a provider's SDK (Twilio, FCM) behind the same interface.
 */
export class LoggingSender implements NotificationSender {
  private readonly logger: Logger;

  constructor(readonly channel: Exclude<NotificationChannel, 'email'>) {
    this.logger = new Logger(`Notifications:${channel}`);
  }

  async send(notification: Notification): Promise<{ recipient: string }> {
    const recipient =
      this.channel === 'sms'
        ? (notification.phone ?? notification.email)
        : `customer-app:${notification.email}`;
    // The recipient is the customer's phone or email: never in a log.
    this.logger.debug(`order ${notification.orderId}: ${notification.subject}`);
    return { recipient };
  }
}
