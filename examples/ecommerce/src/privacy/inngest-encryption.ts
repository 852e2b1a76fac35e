import { EncryptionService, encryptionMiddleware, isEncryptedValue } from '@inngest/middleware-encryption';
import type { PiiCipher, Sealed } from './pii-cipher';

/** `@inngest/middleware-encryption`'s service, sealing with the shop's own cipher and key. */
class PiiSealingService extends EncryptionService {
  readonly identifier = 'sagaline-example:aes-256-gcm';

  constructor(private readonly cipher: PiiCipher) {
    super();
  }

  encrypt(value: unknown): string {
    return this.cipher.seal(value);
  }

  decrypt(value: string): unknown {
    return this.cipher.open(value);
  }
}

/**
 * Inngest middleware that seals every step output and function output before it leaves the app,
 * so the runs Inngest (or the embedded engine) stores hold no customer data in clear. Event
 * payloads need no field of their own here: the shop seals the customer's contact itself
 * (`order.created`'s `contact`), so it stays sealed in the outbox, the event store and the sagas'
 * states too.
 */
export function inngestEncryption(cipher: PiiCipher) {
  return encryptionMiddleware({ key: '', encryptionService: new PiiSealingService(cipher) });
}

/** A step output as the engine stores it, opened: for tools and tests that read runs directly. */
export function openStepOutput(cipher: PiiCipher, output: unknown): unknown {
  return isEncryptedValue(output) ? cipher.open(output.data as Sealed<unknown>) : output;
}
