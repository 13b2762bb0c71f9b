/** Small fsync steps shared by everything that writes files which must survive a crash. */
import { open } from 'node:fs/promises';

/** Writes `bytes` to `path` (replacing it) and fsyncs the file. */
export async function writeSynced(path: string, bytes: Uint8Array | string): Promise<void> {
  const file = await open(path, 'w');
  try {
    await file.writeFile(bytes);
    await file.sync();
  } finally {
    await file.close();
  }
}

/** fsyncs a folder, so that a rename or a new or removed file in it survives a crash. */
export async function syncDir(path: string): Promise<void> {
  const dir = await open(path, 'r');
  try {
    await dir.sync();
  } finally {
    await dir.close();
  }
}
