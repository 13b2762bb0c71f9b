// A child process for the Raft log kill test: appends entries to the log at argv[2]
// (from the built dist/), one synced persist per batch of 1 to 8 entries of up to
// 64 KiB, and prints the last index of each batch once its persist resolved (what a
// node would then promise). It writes until it is killed.
import { RaftLogStore } from '../../dist/raft/storage/raft-log-store.js';

const [dir, segmentBytes] = process.argv.slice(2);
const store = await RaftLogStore.open(dir, { segmentBytes: Number(segmentBytes) });
const stored = await store.load();
let next = (stored.entries.at(-1)?.index ?? stored.snapshot?.index ?? 0) + 1;
let seed = next;
const random = () => {
  seed = (seed * 1103515245 + 12345) % 2147483648;
  return seed / 2147483648;
};
for (;;) {
  const count = 1 + Math.floor(random() * 8);
  const entries = Array.from({ length: count }, (_, i) => {
    const index = next + i;
    const data = new Uint8Array(Math.floor(random() * 65536)).fill(index % 251);
    return { index, term: 1, type: 'normal', data };
  });
  await store.persist(entries, { term: 1, vote: 'a', commit: next - 1 }, true);
  next += count;
  process.stdout.write(`${next - 1}\n`);
}
