/** Settled state of a promise, readable synchronously: for tests that step time by hand. */
export function track<T>(p: Promise<T>): { value?: T; error?: unknown } {
  const state: { value?: T; error?: unknown } = {};
  p.then(
    (value) => (state.value = value),
    (error: unknown) => (state.error = error),
  );
  return state;
}
