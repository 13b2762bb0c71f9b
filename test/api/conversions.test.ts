import { describe, expect, it } from 'vitest';
import type { Filter, Metadata } from '../../src/domain.js';
import {
  filterFromProto,
  filterToProto,
  metadataToStruct,
  metricFromProto,
  metricToProto,
  structToMetadata,
  writeConcernFromProto,
} from '../../src/api/conversions.js';
import { loadVectorProto, PROTO_LOADER_OPTIONS } from '../../src/api/proto.js';
import * as protoLoader from '@grpc/proto-loader';

/** Encodes and decodes through protobuf, exactly as gRPC does. */
function roundTripUpsertMetadata(metadata: Metadata): Metadata {
  const { packageDefinition } = loadVectorProto();
  const upsert = (packageDefinition['raftvec.v1.VectorService'] as protoLoader.ServiceDefinition)
    .Upsert!;
  const bytes = upsert.requestSerialize({
    collection: 'c',
    points: [{ id: 'a', vector: [1], metadata: metadataToStruct(metadata) }],
  });
  const decoded = upsert.requestDeserialize(bytes) as {
    points: Array<{ metadata: Parameters<typeof structToMetadata>[0] }>;
  };
  return structToMetadata(decoded.points[0]!.metadata, 'point a');
}

function roundTripFilter(filter: Filter): Filter | undefined {
  const { packageDefinition } = loadVectorProto();
  const count = (packageDefinition['raftvec.v1.VectorService'] as protoLoader.ServiceDefinition)
    .Count!;
  const decoded = count.requestDeserialize(
    count.requestSerialize({ collection: 'c', filter: filterToProto(filter) }),
  ) as {
    filter: Parameters<typeof filterFromProto>[0];
  };
  return filterFromProto(decoded.filter);
}

describe('wire conversions', () => {
  it('loader options match the generator (longs Number, enums String, defaults, oneofs)', () => {
    expect(PROTO_LOADER_OPTIONS).toMatchObject({
      longs: Number,
      enums: String,
      defaults: true,
      oneofs: true,
    });
  });

  it('metadata survives protobuf: nested objects, lists, null, booleans, numbers, unicode', () => {
    const metadata = JSON.parse(
      '{"source":"docA","n":-1.5e300,"i":42,"ok":true,"no":false,"nil":null,"list":[1,"two",null,[3],{"x":{}}],' +
        '"nested":{"deep":{"deeper":{"v":"ü ✓ 𝄞"}}},"":"empty key","constructor":"c"}',
    ) as Metadata;
    expect(roundTripUpsertMetadata(metadata)).toEqual(metadata);
  });

  it('a "__proto__" key (which protobufjs would silently drop) is refused', () => {
    const metadata = JSON.parse('{"__proto__":{"polluted":true}}') as Metadata;
    expect(() => metadataToStruct(metadata)).toThrow(/"__proto__" is not allowed/);
  });

  it('filters survive protobuf: equals, in, range with only the bounds given', () => {
    const filter: Filter = {
      must: [
        { key: 'source', equals: 'docA' },
        { key: 'n', in: [1, 'two', true] },
        { key: 'year', range: { gte: 2020, lt: 2030 } },
        { key: 'zero', range: { gt: 0 } },
      ],
    };
    expect(roundTripFilter(filter)).toEqual(filter);
    expect(roundTripFilter({ must: [] })).toBeUndefined();
  });

  it('metrics and write concerns: unspecified means l2 / majority; unknown values are INVALID_ARGUMENT', () => {
    expect(metricFromProto('METRIC_UNSPECIFIED')).toBe('l2');
    expect(metricFromProto(metricToProto('cosine'))).toBe('cosine');
    expect(metricFromProto(metricToProto('ip'))).toBe('ip');
    expect(() => metricFromProto(9 as never)).toThrow(/unknown metric 9/);
    expect(writeConcernFromProto('WRITE_CONCERN_UNSPECIFIED')).toBe('majority');
    expect(writeConcernFromProto('WRITE_CONCERN_ALL')).toBe('all');
    expect(() => writeConcernFromProto(5 as never)).toThrow(/unknown write concern 5/);
  });

  it('non-finite numbers in metadata are rejected with the key path', () => {
    expect(() =>
      structToMetadata(
        {
          fields: {
            a: {
              kind: 'structValue',
              structValue: { fields: { b: { kind: 'numberValue', numberValue: Infinity } } },
            },
          },
        },
        'point p',
      ),
    ).toThrow(/point p: key "a\.b" is Infinity/);
  });
});
