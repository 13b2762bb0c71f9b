import { describe, expect, it } from 'vitest';
import * as grpc from '@grpc/grpc-js';
import { RaftvecError, type ErrorCode } from '../../src/errors.js';
import { GRPC_STATUS_BY_CODE, toServiceError } from '../../src/server/status.js';
import { RaftvecClientError } from '../../src/client/errors.js';

const codes: ErrorCode[] = [
  'INVALID_ARGUMENT',
  'NOT_FOUND',
  'ALREADY_EXISTS',
  'FAILED_PRECONDITION',
  'UNAVAILABLE',
  'RESOURCE_EXHAUSTED',
  'DEADLINE_EXCEEDED',
  'UNAUTHENTICATED',
  'INTERNAL',
];

describe('RaftvecError → gRPC status', () => {
  it.each(codes)('%s maps to the gRPC status of the same name, and back on the client', (code) => {
    expect(GRPC_STATUS_BY_CODE[code]).toBe(grpc.status[code]);
    const logged: string[] = [];
    const se = toServiceError(new RaftvecError(code, `boom ${code}`), 'Test', (m) =>
      logged.push(m),
    );
    expect(se.code).toBe(grpc.status[code]);
    expect(se.details).toBe(`boom ${code}`);
    expect(RaftvecClientError.fromServiceError('Test', se).code).toBe(code);
    expect(logged.length).toBe(code === 'INTERNAL' ? 1 : 0);
  });

  it('details travel as trailing metadata (leader-address) and come back as details', () => {
    const se = toServiceError(
      new RaftvecError('UNAVAILABLE', 'not the leader', {
        'leader-address': '10.0.0.2:7000',
        Term: '7',
        note: 'ünï',
      }),
      'Upsert',
      () => undefined,
    );
    expect(se.metadata!.get('leader-address')).toEqual(['10.0.0.2:7000']);
    expect(se.metadata!.get('term')).toEqual(['7']);
    const err = RaftvecClientError.fromServiceError('Upsert', se);
    expect(err.details).toEqual({ 'leader-address': '10.0.0.2:7000', term: '7', note: 'ünï' });
  });

  it('anything else is INTERNAL with its message, and logged', () => {
    const logged: unknown[] = [];
    const se = toServiceError(new TypeError('x is undefined'), 'Search', (m, e) =>
      logged.push(m, e),
    );
    expect(se.code).toBe(grpc.status.INTERNAL);
    expect(se.details).toMatch(/internal error in Search: x is undefined/);
    expect(logged[1]).toBeInstanceOf(TypeError);
  });
});
