/** The table `raftvec status` and the demo print: one line per node. */
export interface StatusRow {
  address: string;
  health?: string;
  id?: string;
  role?: string;
  term?: number;
  commitIndex?: number;
  appliedIndex?: number;
  lag?: number;
  error?: string;
  phase?: string;
  loading?: {
    collectionsTotal: number;
    collectionsLoaded: number;
    collection: string;
    pointsLoaded: number | string;
  } | null;
  appliedDigest?: { digest: string } | null;
  memory?: { rss: number | string } | null;
  /** The FAISS build the node searches with (avx2 or generic). */
  faiss?: { variant: string } | null;
  /** The configuration in force on this node. */
  membership?: { members: readonly { id: string; role: string }[] } | null;
}

/** The node's place in its own configuration: voter, learner, or not a member. */
const memberText = (r: StatusRow): string =>
  r.membership?.members.find((m) => m.id === r.id)?.role ?? (r.membership ? 'removed' : '');

/** The first hex digits of a node's applied-entry digest: enough to see two replicas differ. */
const shortDigest = (r: StatusRow): string => r.appliedDigest?.digest.slice(0, 12) ?? '';

/** Resident memory in MB (the node's VmRSS). */
const rssText = (r: StatusRow): string =>
  r.memory ? `${Math.round(Number(r.memory.rss) / 1e6)} MB` : '';

function loadingText(r: StatusRow): string {
  const l = r.loading;
  if (!l) return 'loading';
  const where = l.collection ? ` ${l.collection}` : '';
  return `loading${where} (${l.collectionsLoaded}/${l.collectionsTotal} collections, ${l.pointsLoaded} points)`;
}

export function printStatusTable(rows: readonly StatusRow[], indent = ''): void {
  const header = [
    'id',
    'address',
    'role',
    'member',
    'term',
    'commit',
    'applied',
    'lag',
    'digest',
    'rss',
    'faiss',
    'health',
  ];
  const lines = rows.map((r) =>
    r.role === undefined
      ? ['-', r.address, 'unreachable', '', '', '', '', '', '', '', '', r.error ?? '']
      : r.phase === 'loading'
        ? [
            r.id ?? '',
            r.address,
            loadingText(r),
            '',
            '',
            '',
            '',
            '',
            '',
            rssText(r),
            r.faiss?.variant ?? '',
            r.health ?? '',
          ]
        : [
            r.id ?? '',
            r.address,
            r.role,
            memberText(r),
            String(r.term ?? ''),
            String(r.commitIndex ?? ''),
            String(r.appliedIndex ?? ''),
            String(r.lag ?? ''),
            shortDigest(r),
            rssText(r),
            r.faiss?.variant ?? '',
            r.health ?? '',
          ],
  );
  // Leave out the health column when no row has one (the demo reads Raft status only).
  const columns = rows.some((r) => r.health !== undefined || r.error !== undefined)
    ? header.length
    : header.length - 1;
  const widths = header.map((h, c) => Math.max(h.length, ...lines.map((l) => l[c]!.length)));
  for (const line of [header, ...lines].map((l) => l.slice(0, columns))) {
    process.stdout.write(
      `${indent}${line
        .map((cell, c) => cell.padEnd(widths[c]!))
        .join('  ')
        .trimEnd()}\n`,
    );
  }
}
