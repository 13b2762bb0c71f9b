import { FaissIndex } from '../src/index/faiss.js';
const N = 200000, D = 128;
const v = new Float32Array(N * D).map(() => Math.random());
const idx = FaissIndex.create(D, 'Flat', 'l2');
const t = process.hrtime.bigint();
for (let i = 0; i < N; i++) await idx.add(v.subarray(i * D, (i + 1) * D), BigInt64Array.of(BigInt(i)));
console.log(`${(Number(process.hrtime.bigint() - t) / 1e3 / N).toFixed(2)} µs per single add`);
