import { createHash, timingSafeEqual } from 'node:crypto';
import { DashboardConfigError } from './dashboard.errors';
import type { DashboardGuard } from './dashboard.options';

/** Options of {@link basicAuthGuard}. */
export interface BasicAuthGuardOptions {
  /** The user name. */
  username: string;
  /** The password; at least 12 characters. */
  password: string;
  /** The realm the browser shows. Default `Sagaline dashboard`. */
  realm?: string;
}

/**
 * A guard that asks the browser for a user name and password (HTTP Basic). Use it over HTTPS; the
 * comparison takes the same time whatever the input.
 *
 * @throws DashboardConfigError when the user name is empty or the password shorter than 12 characters.
 * @example
 * ```ts
 * DashboardModule.forRoot({ guard: basicAuthGuard({ username: 'ops', password: process.env.DASHBOARD_PASSWORD! }) })
 * ```
 */
export function basicAuthGuard(options: BasicAuthGuardOptions): DashboardGuard {
  if (!options?.username)
    throw new DashboardConfigError('guard.username', 'basicAuthGuard needs a non-empty `username`.');
  if (typeof options.password !== 'string' || options.password.length < 12)
    throw new DashboardConfigError(
      'guard.password',
      'basicAuthGuard needs a `password` of at least 12 characters (read it from a secret, not the code).',
    );
  const expected = digest(`${options.username}:${options.password}`);
  const guard = (request: { headers: { authorization?: string } }) => {
    const header = request.headers.authorization ?? '';
    if (!header.startsWith('Basic ')) return false;
    const given = Buffer.from(header.slice(6), 'base64').toString('utf8');
    return timingSafeEqual(digest(given), expected);
  };
  const realm = (options.realm ?? 'Sagaline dashboard').replace(/"/g, '');
  return Object.assign(guard, { challenge: `Basic realm="${realm}", charset="UTF-8"` });
}

const digest = (text: string) => createHash('sha256').update(text).digest();
