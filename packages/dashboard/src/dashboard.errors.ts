/**
 * Base class of the dashboard's errors; `code` is stable and survives duplicate copies of the
 * package (ESM and CJS in one process), so match on it rather than on `instanceof`.
 */
export class DashboardError extends Error {
  /** A stable, machine-readable code such as `DASHBOARD_CONFIG`. */
  readonly code: string;

  constructor(code: string, message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = new.target.name;
    this.code = code;
  }
}

/**
 * An option of `DashboardModule.forRoot()` is invalid, or the dashboard would be open to anyone
 * outside development; the message names the option and the fix.
 */
export class DashboardConfigError extends DashboardError {
  constructor(
    /** The option at fault, e.g. `path` or `guard`. */
    readonly option: string,
    message: string,
  ) {
    super('DASHBOARD_CONFIG', message);
  }
}
