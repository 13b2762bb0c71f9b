import { readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';

/** Bytes of LevelDB log files (`*.log`) in a store's folder: writes not yet in a table. */
export async function levelLogBytes(store: string): Promise<number> {
  let bytes = 0;
  for (const name of await readdir(store))
    if (name.endsWith('.log')) bytes += (await stat(join(store, name))).size;
  return bytes;
}
