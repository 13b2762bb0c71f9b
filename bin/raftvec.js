#!/usr/bin/env node
// The raftvec command. Runs the compiled CLI (npm run build writes dist/).

// FAISS searches and LevelDB share libuv's thread pool (4 threads by default); a long
// search must not hold up the Raft log's fsync. Set before anything uses the pool.
process.env.UV_THREADPOOL_SIZE ??= '8';
// grpc-js names the server it dials in TLS's SNI even when that name is an IP address
// (127.0.0.1 in a local cluster), which Node flags as deprecated (DEP0123) on stderr;
// the certificate is still checked against the address. Only that warning is dropped.
const emitWarning = process.emitWarning.bind(process);
process.emitWarning = (warning, ...rest) => {
  const code = typeof rest[0] === 'object' && rest[0] !== null ? rest[0].code : rest[1];
  if (code === 'DEP0123') return;
  emitWarning(warning, ...rest);
};
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
// Exit once the command is done (for `serve`: once the node has stopped) rather than when
// the event loop empties: a TCP connect still pending to a node that vanished would hold
// the process for minutes after its answer was printed. Output to files, pipes and
// terminals is written synchronously on Linux, so nothing printed is lost.
process.exit(await cli.run(process.argv));
