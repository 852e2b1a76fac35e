import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';

/** A value sealed by {@link PiiCipher}: a string that says what it holds, for the type checker. */
export type Sealed<T> = string & { readonly __sealed?: T };

const PREFIX = 'pii:v1:';
const IV_BYTES = 12;
const TAG_BYTES = 16;
/** What the example uses when no `PII_ENCRYPTION_KEY` is set: stable across restarts, public, for development only. */
const DEVELOPMENT_SECRET = 'sagaline-example development key: set PII_ENCRYPTION_KEY in production';

/** `PII_ENCRYPTION_KEY` is not a base64 encoding of 32 bytes. */
export class PiiKeyError extends Error {
  readonly code = 'PII_KEY_INVALID';
  constructor(detail: string) {
    super(`PII_ENCRYPTION_KEY ${detail}; use 32 random bytes in base64, e.g. \`openssl rand -base64 32\`.`);
    this.name = 'PiiKeyError';
  }
}

/** A sealed value could not be opened: another key sealed it, or it was altered. */
export class PiiSealBrokenError extends Error {
  readonly code = 'PII_SEAL_BROKEN';
  constructor() {
    super('A sealed value could not be opened: it was sealed with another PII_ENCRYPTION_KEY, or altered.');
    this.name = 'PiiSealBrokenError';
  }
}

/**
 * Seals customer data (email, phone, address) wherever the shop stores or sends it: AES-256-GCM
 * from Node's `crypto`, a random IV per value, so equal values never look equal and an altered
 * value fails to open. One key (`PII_ENCRYPTION_KEY`) for the database, the event store and, through
 * `@inngest/middleware-encryption`, Inngest's event payloads and step outputs.
 */
export class PiiCipher {
  private constructor(
    private readonly key: Buffer,
    /** Whether the key is the public development key. */
    readonly isDevelopmentKey: boolean,
  ) {}

  /** The cipher for `PII_ENCRYPTION_KEY` (base64 of 32 bytes), or the development key when unset. */
  static fromKey(base64Key: string | undefined): PiiCipher {
    if (base64Key === undefined) {
      return new PiiCipher(createHash('sha256').update(DEVELOPMENT_SECRET).digest(), true);
    }
    const key = Buffer.from(base64Key, 'base64');
    if (key.length !== 32) throw new PiiKeyError(`decodes to ${key.length} bytes, not 32`);
    return new PiiCipher(key, false);
  }

  /** Seals `value` (anything JSON can hold). */
  seal<T>(value: T): Sealed<T> {
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv('aes-256-gcm', this.key, iv);
    const body = Buffer.concat([cipher.update(JSON.stringify(value), 'utf8'), cipher.final()]);
    return `${PREFIX}${Buffer.concat([iv, cipher.getAuthTag(), body]).toString('base64url')}` as Sealed<T>;
  }

  /** Opens a value `seal` made. @throws PiiSealBrokenError when the key differs or the value was altered. */
  open<T>(sealed: Sealed<T>): T {
    if (!PiiCipher.isSealed(sealed)) throw new PiiSealBrokenError();
    const bytes = Buffer.from(sealed.slice(PREFIX.length), 'base64url');
    try {
      const decipher = createDecipheriv('aes-256-gcm', this.key, bytes.subarray(0, IV_BYTES));
      decipher.setAuthTag(bytes.subarray(IV_BYTES, IV_BYTES + TAG_BYTES));
      const text = Buffer.concat([decipher.update(bytes.subarray(IV_BYTES + TAG_BYTES)), decipher.final()]);
      return JSON.parse(text.toString('utf8')) as T;
    } catch {
      throw new PiiSealBrokenError();
    }
  }

  /** `value` with every sealed string in it, at any depth, opened (for showing an event's data). */
  revealAll(value: unknown): unknown {
    if (PiiCipher.isSealed(value)) return this.open(value);
    if (Array.isArray(value)) return value.map((item) => this.revealAll(item));
    if (value !== null && typeof value === 'object') {
      return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, this.revealAll(item)]));
    }
    return value;
  }

  /** Whether `value` is a sealed value. */
  static isSealed(value: unknown): value is Sealed<unknown> {
    return typeof value === 'string' && value.startsWith(PREFIX);
  }
}
