// How a load is split among workers and runners: its own module, so that a worker thread, which
// needs only this of the plan's code, does not load the plan builder (and what that loads).

/** Splits `total` into `parts` shares that differ by at most one. */
export function share(total: number, parts: number, index: number): number {
  return Math.floor(total / parts) + (index < total % parts ? 1 : 0);
}
