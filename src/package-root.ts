import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * The folder holding raftvec's package.json, found by walking up from this module,
 * so files like proto/ resolve the same from src/ (tsx, vitest) and from dist/.
 */
export function packageRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    if (existsSync(join(dir, 'package.json')) && existsSync(join(dir, 'proto'))) return dir;
    const parent = dirname(dir);
    if (parent === dir)
      throw new Error('raftvec: cannot find the package root (package.json + proto/)');
    dir = parent;
  }
}

export const protoDir = (): string => join(packageRoot(), 'proto');
