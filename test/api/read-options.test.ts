/**
 * Read consistency on the wire (src/api/conversions.ts): ReadOptions <-> the read's
 * requirement, with its validation, and ReadInfo in both directions — checked both
 * on plain objects and through protobuf, as gRPC encodes and decodes them.
 */
import { describe, expect, it } from 'vitest';
import type * as protoLoader from '@grpc/proto-loader';
import {
  MAX_STALENESS_MS,
  readInfoFromProto,
  readInfoToProto,
  readRequirementFromProto,
  readRequirementToProto,
  type ReadInfo,
  type ReadRequirement,
} from '../../src/api/conversions.js';
import { loadVectorProto } from '../../src/api/proto.js';
import { RaftvecError } from '../../src/errors.js';
import type { ReadOptions__Output } from '../../src/generated/raftvec/v1/ReadOptions.js';
import type { ReadInfo__Output } from '../../src/generated/raftvec/v1/ReadInfo.js';

type WireOptions = Parameters<typeof readRequirementFromProto>[0];

/** Options as the server decodes them: every field present (proto3 defaults). */
function options(o: {
  consistency?: ReadOptions__Output['consistency'] | number;
  maxStalenessMs?: number;
  minAppliedIndex?: number;
}): ReadOptions__Output {
  return {
    consistency: 'READ_CONSISTENCY_UNSPECIFIED',
    maxStalenessMs: 0,
    minAppliedIndex: 0,
    ...o,
  } as ReadOptions__Output;
}

/** The error `fn` throws (fails the test if it throws none). */
function thrown(fn: () => unknown): unknown {
  try {
    fn();
  } catch (error) {
    return error;
  }
  expect.fail('expected an error');
}

function expectInvalid(o: WireOptions, message?: RegExp): void {
  const error = thrown(() => readRequirementFromProto(o));
  expect(error).toBeInstanceOf(RaftvecError);
  expect((error as RaftvecError).code).toBe('INVALID_ARGUMENT');
  if (message !== undefined) expect((error as RaftvecError).message).toMatch(message);
}

const countMethod = (): protoLoader.MethodDefinition<object, object> =>
  (loadVectorProto().packageDefinition['raftvec.v1.VectorService'] as protoLoader.ServiceDefinition)
    .Count!;

/** A CountRequest's read_options through protobuf, exactly as gRPC carries them. */
function overTheWire(readOptions: object | undefined): WireOptions {
  const count = countMethod();
  const request = { collection: 'c', ...(readOptions !== undefined && { readOptions }) };
  const decoded = count.requestDeserialize(count.requestSerialize(request)) as {
    readOptions: WireOptions;
  };
  return decoded.readOptions;
}

/** A CountResponse's read_info through protobuf. */
function infoOverTheWire(readInfo: object | undefined): ReadInfo__Output | null {
  const count = countMethod();
  const response = { count: 1, ...(readInfo !== undefined && { readInfo }) };
  const decoded = count.responseDeserialize(count.responseSerialize(response)) as {
    readInfo: ReadInfo__Output | null;
  };
  return decoded.readInfo;
}

const EVERY_REQUIREMENT: ReadRequirement[] = [
  { consistency: 'linearizable' },
  { consistency: 'lease' },
  { consistency: 'eventual' },
  { consistency: 'bounded', maxStalenessMs: 1 },
  { consistency: 'bounded', maxStalenessMs: 250 },
  { consistency: 'bounded', maxStalenessMs: MAX_STALENESS_MS },
  { consistency: 'session', minAppliedIndex: 0 },
  { consistency: 'session', minAppliedIndex: 17 },
  { consistency: 'session', minAppliedIndex: 2 ** 40 },
];

describe('readRequirementToProto', () => {
  it('no requirement means LINEARIZABLE', () => {
    expect(readRequirementToProto(undefined)).toEqual({
      consistency: 'READ_CONSISTENCY_LINEARIZABLE',
    });
  });

  it('maps each level, with the parameter only its own level takes', () => {
    expect(readRequirementToProto({ consistency: 'linearizable' })).toEqual({
      consistency: 'READ_CONSISTENCY_LINEARIZABLE',
    });
    expect(readRequirementToProto({ consistency: 'lease' })).toEqual({
      consistency: 'READ_CONSISTENCY_LEASE',
    });
    expect(readRequirementToProto({ consistency: 'eventual' })).toEqual({
      consistency: 'READ_CONSISTENCY_EVENTUAL',
    });
    expect(readRequirementToProto({ consistency: 'bounded', maxStalenessMs: 300 })).toEqual({
      consistency: 'READ_CONSISTENCY_BOUNDED',
      maxStalenessMs: 300,
    });
    expect(readRequirementToProto({ consistency: 'session', minAppliedIndex: 9 })).toEqual({
      consistency: 'READ_CONSISTENCY_SESSION',
      minAppliedIndex: 9,
    });
  });

  it('refuses an unknown level with INVALID_ARGUMENT', () => {
    const error = thrown(() =>
      readRequirementToProto({ consistency: 'strong' } as unknown as ReadRequirement),
    );
    expect(error).toBeInstanceOf(RaftvecError);
    expect((error as RaftvecError).code).toBe('INVALID_ARGUMENT');
    expect((error as RaftvecError).message).toMatch(/"strong"/);
  });
});

describe('readRequirementFromProto', () => {
  it('no options, or UNSPECIFIED, means linearizable', () => {
    expect(readRequirementFromProto(undefined)).toEqual({ consistency: 'linearizable' });
    expect(readRequirementFromProto(null)).toEqual({ consistency: 'linearizable' });
    expect(readRequirementFromProto(options({}))).toEqual({ consistency: 'linearizable' });
    expect(readRequirementFromProto(options({ consistency: 0 }))).toEqual({
      consistency: 'linearizable',
    });
  });

  it.each([
    ['READ_CONSISTENCY_LINEARIZABLE', 1, 'linearizable'],
    ['READ_CONSISTENCY_LEASE', 2, 'lease'],
    ['READ_CONSISTENCY_EVENTUAL', 5, 'eventual'],
  ] as const)('%s (or %d) is %s', (name, number, consistency) => {
    expect(readRequirementFromProto(options({ consistency: name }))).toEqual({ consistency });
    expect(readRequirementFromProto(options({ consistency: number }))).toEqual({ consistency });
  });

  it('BOUNDED carries its max staleness, by name or number', () => {
    expect(
      readRequirementFromProto(
        options({ consistency: 'READ_CONSISTENCY_BOUNDED', maxStalenessMs: 500 }),
      ),
    ).toEqual({ consistency: 'bounded', maxStalenessMs: 500 });
    expect(readRequirementFromProto(options({ consistency: 3, maxStalenessMs: 500 }))).toEqual({
      consistency: 'bounded',
      maxStalenessMs: 500,
    });
  });

  it('SESSION carries its minimum applied index (0 allowed), by name or number', () => {
    expect(
      readRequirementFromProto(
        options({ consistency: 'READ_CONSISTENCY_SESSION', minAppliedIndex: 41 }),
      ),
    ).toEqual({ consistency: 'session', minAppliedIndex: 41 });
    expect(readRequirementFromProto(options({ consistency: 4 }))).toEqual({
      consistency: 'session',
      minAppliedIndex: 0,
    });
  });

  it.each([1, 2, 1_000, MAX_STALENESS_MS])('BOUNDED accepts max_staleness_ms %d', (ms) => {
    expect(
      readRequirementFromProto(
        options({ consistency: 'READ_CONSISTENCY_BOUNDED', maxStalenessMs: ms }),
      ),
    ).toEqual({ consistency: 'bounded', maxStalenessMs: ms });
  });

  it.each([0, -1, MAX_STALENESS_MS + 1, 1.5, Number.NaN, Number.POSITIVE_INFINITY])(
    'BOUNDED refuses max_staleness_ms %d',
    (ms) => {
      expectInvalid(
        options({ consistency: 'READ_CONSISTENCY_BOUNDED', maxStalenessMs: ms }),
        /BOUNDED read needs max_staleness_ms from 1 to 86400000/,
      );
    },
  );

  it('the limit on max staleness is one day', () => {
    expect(MAX_STALENESS_MS).toBe(24 * 60 * 60 * 1000);
  });

  it.each([
    'READ_CONSISTENCY_UNSPECIFIED',
    'READ_CONSISTENCY_LINEARIZABLE',
    'READ_CONSISTENCY_LEASE',
    'READ_CONSISTENCY_SESSION',
    'READ_CONSISTENCY_EVENTUAL',
  ] as const)('max_staleness_ms is refused with %s', (consistency) => {
    expectInvalid(options({ consistency, maxStalenessMs: 100 }), /BOUNDED reads only/);
  });

  it.each([
    'READ_CONSISTENCY_UNSPECIFIED',
    'READ_CONSISTENCY_LINEARIZABLE',
    'READ_CONSISTENCY_LEASE',
    'READ_CONSISTENCY_BOUNDED',
    'READ_CONSISTENCY_EVENTUAL',
  ] as const)('min_applied_index is refused with %s', (consistency) => {
    expectInvalid(
      options({
        consistency,
        minAppliedIndex: 7,
        // A valid staleness for BOUNDED, so that only the index is wrong.
        maxStalenessMs: consistency === 'READ_CONSISTENCY_BOUNDED' ? 100 : 0,
      }),
      /SESSION reads only/,
    );
  });

  it.each([-1, 1.5, 2 ** 53])('SESSION refuses min_applied_index %d', (index) => {
    expectInvalid(
      options({ consistency: 'READ_CONSISTENCY_SESSION', minAppliedIndex: index }),
      /min_applied_index/,
    );
  });

  it.each([6, 9, -1, 'READ_CONSISTENCY_STRONG', 'LINEARIZABLE', ''])(
    'refuses the unknown level %j',
    (consistency) => {
      expectInvalid(
        options({ consistency: consistency as ReadOptions__Output['consistency'] }),
        /unknown read consistency/,
      );
    },
  );
});

describe('read options through protobuf', () => {
  it.each(EVERY_REQUIREMENT)('$consistency round-trips: %j', (requirement) => {
    expect(readRequirementFromProto(overTheWire(readRequirementToProto(requirement)))).toEqual(
      requirement,
    );
  });

  it('a request without read options (an older client) is linearizable', () => {
    expect(overTheWire(undefined)).toBeNull();
    expect(readRequirementFromProto(overTheWire(undefined))).toEqual({
      consistency: 'linearizable',
    });
  });

  it('a level this build does not know arrives as its number, and is refused', () => {
    const decoded = overTheWire({ consistency: 9 });
    expect(decoded?.consistency).toBe(9);
    expectInvalid(decoded, /unknown read consistency 9/);
  });

  it('BOUNDED without max_staleness_ms is refused after the wire too', () => {
    expectInvalid(overTheWire({ consistency: 'READ_CONSISTENCY_BOUNDED' }), /BOUNDED/);
  });
});

describe('ReadInfo', () => {
  const info: ReadInfo = {
    replicaId: 'n2',
    appliedIndex: 2 ** 40,
    leaderCommitIndex: 2 ** 40 + 3,
    stalenessBoundMs: 120,
  };

  it('to proto keeps every field, and leaves out an unknown staleness bound', () => {
    expect(readInfoToProto(info)).toEqual(info);
    const { stalenessBoundMs: _, ...unbounded } = info;
    const proto = readInfoToProto(unbounded);
    expect(proto).toEqual(unbounded);
    expect('stalenessBoundMs' in proto).toBe(false);
  });

  it('a staleness bound of 0 (a linearizable read) is kept, not taken for absent', () => {
    const linearizable = { ...info, stalenessBoundMs: 0 };
    expect(readInfoToProto(linearizable).stalenessBoundMs).toBe(0);
    expect(readInfoFromProto(infoOverTheWire(readInfoToProto(linearizable)))).toEqual(linearizable);
  });

  it('round-trips through protobuf, with and without a staleness bound', () => {
    expect(readInfoFromProto(infoOverTheWire(readInfoToProto(info)))).toEqual(info);
    const { stalenessBoundMs: _, ...unbounded } = info;
    const back = readInfoFromProto(infoOverTheWire(readInfoToProto(unbounded)));
    expect(back).toEqual(unbounded);
    expect(back !== undefined && 'stalenessBoundMs' in back).toBe(false);
  });

  it('from proto: none (an older server) is undefined; a null staleness bound is absent', () => {
    expect(readInfoFromProto(undefined)).toBeUndefined();
    expect(readInfoFromProto(null)).toBeUndefined();
    expect(infoOverTheWire(undefined)).toBeNull();
    expect(readInfoFromProto(infoOverTheWire(undefined))).toBeUndefined();
    const withNull = {
      replicaId: 'n1',
      appliedIndex: 4,
      leaderCommitIndex: 5,
      stalenessBoundMs: null,
    } as unknown as ReadInfo__Output;
    const back = readInfoFromProto(withNull);
    expect(back).toEqual({ replicaId: 'n1', appliedIndex: 4, leaderCommitIndex: 5 });
    expect(back !== undefined && 'stalenessBoundMs' in back).toBe(false);
  });
});
