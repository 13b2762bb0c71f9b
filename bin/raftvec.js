#!/usr/bin/env node
// The raftvec command. Runs the compiled CLI (npm run build writes dist/).

// FAISS searches and LevelDB share libuv's thread pool (4 threads by default); a long
// search must not hold up the Raft log's fsync. Set before anything uses the pool.
process.env.UV_THREADPOOL_SIZE ??= '8';
let cli;
try {
  cli = await import('../dist/cli/main.js');
} catch (err) {
  if (
    err &&
    err.code === 'ERR_MODULE_NOT_FOUND' &&
    String(err.message).includes('dist/cli/main.js')
  ) {
    process.stderr.write('raftvec: dist/cli/main.js is missing; run `npm run build` first\n');
    process.exit(1);
  }
  throw err;
}
process.exitCode = await cli.run(process.argv);
