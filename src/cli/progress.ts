/**
 * Progress on stderr: a bar redrawn in place on a TTY, plain periodic lines
 * otherwise (logs, CI, pipes).
 */
export interface Progress {
  update(done: number): void;
  finish(done: number): void;
}

export function createProgress(
  total: number,
  label: string,
  stream: NodeJS.WriteStream = process.stderr,
): Progress {
  const pct = (done: number): string =>
    total > 0 ? `${Math.floor((done / total) * 100)}%` : '100%';
  if (stream.isTTY) {
    const width = 30;
    let last = 0;
    const draw = (done: number): void => {
      const filled = total > 0 ? Math.round((done / total) * width) : width;
      stream.write(
        `\r${label} [${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${done}/${total} ${pct(done)}`,
      );
    };
    return {
      update(done) {
        const now = Date.now();
        if (now - last >= 100) {
          last = now;
          draw(done);
        }
      },
      finish(done) {
        draw(done);
        stream.write('\n');
      },
    };
  }
  let last = Date.now();
  return {
    update(done) {
      const now = Date.now();
      if (now - last >= 2_000) {
        last = now;
        stream.write(`${label}: ${done}/${total} (${pct(done)})\n`);
      }
    },
    finish(done) {
      stream.write(`${label}: ${done}/${total} (${pct(done)}) done\n`);
    },
  };
}
