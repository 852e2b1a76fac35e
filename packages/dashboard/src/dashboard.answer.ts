/** @internal An answer other than 200, with the message the page shows. */
export class HttpAnswer extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}
