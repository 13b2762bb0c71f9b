/** A stream of writes for tests that change the cluster under load. */
import type { RaftvecClient } from '../../src/client/client.js';

/**
 * Writes points w0, w1, … to collection `docs` (dimension 2) one after another until
 * stopped; `stop` answers the ids acknowledged, or throws the error that ended the stream.
 */
export function writeStream(client: RaftvecClient): { stop: () => Promise<string[]> } {
  const acked: string[] = [];
  let running = true;
  const loop = (async () => {
    for (let i = 0; running; i++) {
      const id = `w${i}`;
      await client.upsert('docs', [{ id, vector: [i, 1] }]);
      acked.push(id);
    }
  })();
  // Observed at once: a test that fails before stop() must not leave an unhandled rejection.
  const ended = loop.then(
    () => undefined,
    (error: unknown) => error,
  );
  return {
    stop: async () => {
      running = false;
      const error = await ended;
      if (error !== undefined) throw error;
      return acked;
    },
  };
}
