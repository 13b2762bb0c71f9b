// Checks that the classic-level binding in use verifies LevelDB's checksums:
// writes records, flips one byte in the middle of the write-ahead log, and
// expects the next open to fail with a corruption error (the prebuilt binding
// opens it and silently drops the damaged records). Usage: node leveldb-smoke.mjs CLASSIC_LEVEL_DIR
import { mkdtempSync, readdirSync, readFileSync, writeFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import path from 'node:path';

const require = createRequire(import.meta.url);
const { ClassicLevel } = require(path.resolve(process.argv[2] ?? 'node_modules/classic-level'));

await (async () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'raftvec-leveldb-smoke-'));
  try {
    const db = new ClassicLevel(dir);
    await db.open();
    for (let i = 0; i < 200; i++) await db.put(`key-${i}`, `value-${i}`.repeat(8), { sync: true });
    await db.close();
    const logFile = readdirSync(dir).find((f) => f.endsWith('.log'));
    const bytes = readFileSync(path.join(dir, logFile));
    bytes[Math.floor(bytes.length / 2)] ^= 0x40;
    writeFileSync(path.join(dir, logFile), bytes);
    const again = new ClassicLevel(dir);
    try {
      await again.open();
    } catch (err) {
      const text = `${err.message} ${err.cause ? err.cause.message : ''}`;
      if (/corruption/i.test(text)) {
        console.log('a damaged LevelDB log is refused');
        return;
      }
      throw err;
    }
    await again.close();
    console.error('a damaged LevelDB log was opened without an error: checksum checks are off');
    process.exitCode = 1;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
})().catch((err) => {
  console.error(err);
  process.exitCode = 1;
});
