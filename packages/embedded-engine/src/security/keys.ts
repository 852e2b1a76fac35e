import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import canonicalize from 'canonicalize';

const SIGNING_KEY_PREFIX = /^signkey-\w+-/;

/** @internal A fresh signing key in Inngest's format (`signkey-<env>-<hex>`), one per process. */
export function generateSigningKey(): string {
  return `signkey-embedded-${randomBytes(32).toString('hex')}`;
}

/** @internal A fresh event key: 32 random bytes, URL-safe. */
export function generateEventKey(): string {
  return randomBytes(32).toString('base64url');
}

/**
 * @internal The `X-Inngest-Signature` header for a request body, exactly as Inngest signs: HMAC-SHA256
 * over the JCS-canonical body followed by the time in seconds, keyed with the signing key less its
 * `signkey-<env>-` prefix. Wall-clock time, never the engine clock: the SDK rejects signatures more
 * than five minutes off its own clock.
 */
export function signRequestBody(body: unknown, signingKey: string, nowMs = Date.now()): string {
  const t = Math.round(nowMs / 1000);
  const key = signingKey.replace(SIGNING_KEY_PREFIX, '');
  const s = createHmac('sha256', key)
    .update(`${canonicalize(body)}${t}`)
    .digest('hex');
  return `t=${t}&s=${s}`;
}

/**
 * @internal The bearer token the SDK sends to Inngest's APIs: the prefix, then the hex SHA-256 of the
 * hex-decoded key body (the SDK's `hashSigningKey`).
 */
export function hashSigningKey(signingKey: string): string {
  const prefix = SIGNING_KEY_PREFIX.exec(signingKey)?.[0] ?? '';
  const body = signingKey.replace(SIGNING_KEY_PREFIX, '');
  return `${prefix}${createHash('sha256').update(Buffer.from(body, 'hex')).digest('hex')}`;
}

/** @internal Compares two secrets in constant time. */
export function secretsEqual(given: string | undefined, expected: string): boolean {
  if (given === undefined) return false;
  const a = createHash('sha256').update(given).digest();
  const b = createHash('sha256').update(expected).digest();
  return timingSafeEqual(a, b) && given === expected;
}
