import { Logger } from '@nestjs/common';
import type { ShopSettings } from '../config/shop-config.provider';
import { PiiCipher } from './pii-cipher';

/** The shop's `PiiCipher`, keyed by `PII_ENCRYPTION_KEY`; warns when it runs on the development key. */
export function piiCipherFor(settings: Pick<ShopSettings, 'piiEncryptionKey'>): PiiCipher {
  const cipher = PiiCipher.fromKey(settings.piiEncryptionKey);
  if (cipher.isDevelopmentKey) {
    new Logger('Privacy').warn(
      'Customer data is sealed with the public development key: set PII_ENCRYPTION_KEY (32 bytes, base64) in production.',
    );
  }
  return cipher;
}
