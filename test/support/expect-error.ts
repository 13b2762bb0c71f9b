import { expect } from 'vitest';
import { RaftvecClientError } from '../../src/client/errors.js';

/**
 * Awaits `p`, expects it to reject with a RaftvecClientError of `code` whose
 * message matches every pattern; returns the error for further checks.
 */
export async function expectStatus(
  p: Promise<unknown>,
  code: string,
  ...patterns: Array<RegExp | string>
): Promise<RaftvecClientError> {
  let error: unknown;
  try {
    const value = await p;
    error = new Error(
      `expected ${code}, but the call succeeded with ${JSON.stringify(value)?.slice(0, 200)}`,
    );
  } catch (err) {
    error = err;
  }
  if (!(error instanceof RaftvecClientError)) throw error;
  expect(error.code, `status of: ${error.message}`).toBe(code);
  for (const pattern of patterns) {
    if (typeof pattern === 'string') expect(error.message).toContain(pattern);
    else expect(error.message).toMatch(pattern);
  }
  return error;
}
