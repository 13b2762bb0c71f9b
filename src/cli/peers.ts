import { invalidArgument } from '../errors.js';

/**
 * Parses `--peers n1=HOST:PORT,n2=HOST:PORT,...`: every voter's id and peer address,
 * this node (`selfId`) included.
 */
export function parsePeers(list: string, selfId: string): Map<string, string> {
  const peers = new Map<string, string>();
  for (const item of list
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '')) {
    const match = /^([A-Za-z0-9_-]{1,64})=(\S+):(\d{1,5})$/.exec(item);
    if (match === null) {
      throw invalidArgument(
        `--peers: "${item}" is not ID=HOST:PORT (ids: letters, digits, "_", "-")`,
      );
    }
    const [, id, host, port] = match as unknown as [string, string, string, string];
    if (Number(port) < 1 || Number(port) > 65_535)
      throw invalidArgument(`--peers: port ${port} of ${id} is out of range`);
    if (peers.has(id)) throw invalidArgument(`--peers: ${id} is listed twice`);
    peers.set(id, `${host}:${port}`);
  }
  if (!peers.has(selfId)) {
    throw invalidArgument(
      `--peers must list this node too (--id ${selfId}), e.g. ${selfId}=HOST:PORT`,
    );
  }
  return peers;
}
