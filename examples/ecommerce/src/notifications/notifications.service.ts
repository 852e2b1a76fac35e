import { Inject, Injectable, type OnApplicationShutdown } from '@nestjs/common';
import { SHOP_SETTINGS, type ShopSettings } from '../config/shop-config.provider';
import type { NotificationChannel } from '../config/tenants';
import { EmailSender, LoggingSender, type Notification, type NotificationSender } from './channels';

/** Sends notifications on the channel asked for. */
@Injectable()
export class NotificationsService implements OnApplicationShutdown {
  readonly email: EmailSender;
  private readonly senders: Map<NotificationChannel, NotificationSender>;

  constructor(@Inject(SHOP_SETTINGS) settings: ShopSettings) {
    this.email = new EmailSender(settings.smtpUrl, settings.mailFrom);
    this.senders = new Map<NotificationChannel, NotificationSender>([
      ['email', this.email],
      ['sms', new LoggingSender('sms')],
      ['push', new LoggingSender('push')],
    ]);
  }

  /** Delivers on one channel; resolves with the recipient. */
  send(channel: NotificationChannel, notification: Notification): Promise<{ recipient: string }> {
    return (this.senders.get(channel) as NotificationSender).send(notification);
  }

  onApplicationShutdown(): void {
    this.email.close();
  }
}
