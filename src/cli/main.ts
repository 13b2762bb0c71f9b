/**
 * The `raftvec` command: run a node (`serve`) or talk to one.
 * Results are printed as pretty JSON on stdout; errors go to stderr as
 * `raftvec: CODE: message` with a non-zero exit code.
 */
import {
  ApiKeysFileError,
  generateApiKey,
  loadApiKeys,
  type ApiKeys,
  type Role,
} from '../server/api-keys.js';
import { Argument, Command, CommanderError, InvalidArgumentError, Option } from 'commander';
import { existsSync, readFileSync, statSync } from 'node:fs';
import type { Filter, Condition, Metadata as PointMetadata, Metric, Scalar } from '../domain.js';
import { RaftvecError } from '../errors.js';
import {
  RaftvecClient,
  batchOperationToProto,
  type BatchOperationInput,
  type ConsistencyOptions,
  type PointSelection,
  type SearchQueryInput,
} from '../client/client.js';
import { Session } from '../client/session.js';
import { READ_CONSISTENCIES, type ReadConsistency, type ReadInfo } from '../api/conversions.js';
import { PAYLOAD_INDEX_TYPES } from '../validation.js';
import { RaftvecClientError } from '../client/errors.js';
import { checkHealth } from '../client/health.js';
import { channelCredentials, clientTlsFromFiles } from '../client/tls.js';
import type { NodeTlsOptions } from '../server/tls.js';
import {
  ClusterStatusClient,
  digestMismatches,
  type DigestSample,
  type NodeStatus,
} from '../client/cluster-status.js';
import { resolve as resolvePath } from 'node:path';
import { printStatusTable } from './status-table.js';
import { clientAddressProblem, peerCredentials } from '../raft/runtime/peer-transport.js';
import { DEFAULT_LEASE, raftTimingFromMs } from '../raft/runtime/raft-runtime.js';
import { DEFAULT_SNAPSHOT_POLICY } from '../raft/runtime/snapshotting.js';
import { parsePeers } from './peers.js';
import { CliError, UsageError } from './errors.js';
import { findLeader, printMembership } from './membership.js';
import type { Membership__Output } from '../generated/raftvec/v1/Membership.js';
import { Metadata, type ChannelCredentials } from '@grpc/grpc-js';
import { batches, checkJsonlFile, JsonlError, readJsonlPoints } from './jsonl.js';
import { collectionJson, hitJson, pointJson, printJson } from './output.js';
import { createProgress } from './progress.js';
import type { LogLevelSetting } from '../server/node-log.js';

export const DEFAULT_ADDRESS = '127.0.0.1:7000';

// ------------------------------------------------------------ arg parsing

function positiveInt(name: string, max = Number.MAX_SAFE_INTEGER) {
  return (value: string): number => {
    const n = Number(value);
    if (!/^\d+$/.test(value.trim()) || !Number.isSafeInteger(n) || n < 1 || n > max)
      throw new InvalidArgumentError(
        `${name} must be an integer from 1 to ${max}, got ${JSON.stringify(value)}`,
      );
    return n;
  };
}

function nonNegativeInt(name: string, value: string): number {
  const n = Number(value);
  if (!/^\d+$/.test(value.trim()) || !Number.isSafeInteger(n))
    throw new InvalidArgumentError(
      `${name} must be a non-negative integer, got ${JSON.stringify(value)}`,
    );
  return n;
}

/**
 * Reads `serve --cluster-secret-file`: the whole file is the secret, less the
 * trailing newline an editor or `echo` adds (otherwise nodes given the secret by
 * file and by environment would disagree). An empty secret would authenticate
 * nothing, so it is refused. A file others can read is only warned about: Kubernetes
 * mounts Secret volumes 0644 unless told otherwise.
 */
function readClusterSecretFile(path: string): string {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new UsageError(
      `--cluster-secret-file ${path}: cannot read it (${err instanceof Error ? err.message : String(err)})`,
    );
  }
  const secret = text.replace(/(\r?\n)+$/, '');
  if (secret === '') {
    throw new UsageError(
      `--cluster-secret-file ${path} is empty: write the cluster secret into it (one line, mode 600)`,
    );
  }
  const mode = statSync(path).mode & 0o777;
  if ((mode & 0o077) !== 0) {
    process.stderr.write(
      `raftvec: warning: --cluster-secret-file ${path} is readable by others (mode ${mode.toString(8)}); chmod 600 it\n`,
    );
  }
  return secret;
}

function parseVector(value: string): number[] {
  let v: unknown;
  try {
    v = JSON.parse(value);
  } catch {
    // also accept "0.1,0.2,0.3"
    v = value.split(',').map((s) => (s.trim() === '' ? NaN : Number(s)));
  }
  if (
    !Array.isArray(v) ||
    v.length === 0 ||
    v.some((x) => typeof x !== 'number' || Number.isNaN(x))
  )
    throw new InvalidArgumentError(
      `expected a JSON list of numbers such as '[0.1,0.2,0.3]', got ${JSON.stringify(value)}`,
    );
  return v as number[];
}

const isScalar = (v: unknown): v is Scalar =>
  typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean';

/** A JSON object given to an option; `what` names the option in messages. */
function parseJsonObject(value: string, what: string, example: string): Record<string, unknown> {
  let raw: unknown;
  try {
    raw = JSON.parse(value);
  } catch (err) {
    throw new InvalidArgumentError(`${what} is not valid JSON: ${(err as Error).message}`);
  }
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw))
    throw new InvalidArgumentError(`${what} must be a JSON object, e.g. ${example}`);
  return raw as Record<string, unknown>;
}

/** The fields of a filter in full form (docs/filters.md). */
const FILTER_FIELDS = ['must', 'should', 'minShould', 'mustNot'];

/**
 * A --filter: the full form `{"must":[...],"should":[...],"minShould":2,"mustNot":[...]}`
 * (any of those fields; docs/filters.md has every condition), or the shorthand
 * `{"source":"docA","year":{"gte":2020},"tag":["a","b"]}` (each key: equals / range / in,
 * all of them must hold).
 */
export function parseFilter(value: string): Filter {
  const obj = parseJsonObject(
    value,
    '--filter',
    '\'{"source":"docA"}\' or \'{"must":[{"key":"source","equals":"docA"}]}\'',
  );
  const keys = Object.keys(obj);
  if (keys.some((k) => FILTER_FIELDS.includes(k))) {
    const unknown = keys.find((k) => !FILTER_FIELDS.includes(k));
    if (unknown !== undefined)
      throw new InvalidArgumentError(
        `--filter: ${JSON.stringify(unknown)} is not a field of a filter; a filter has must, should, minShould and mustNot (lists of conditions such as {"key":"year","range":{"gte":2020}}, and a number)`,
      );
    for (const clause of ['must', 'should', 'mustNot'])
      if (obj[clause] !== undefined && !Array.isArray(obj[clause]))
        throw new InvalidArgumentError(`--filter: ${clause} must be a list of conditions`);
    return obj as Filter;
  }
  const must: Condition[] = Object.entries(obj).map(([key, v]): Condition => {
    if (isScalar(v)) return { key, equals: v };
    if (Array.isArray(v)) return { key, in: v as Scalar[] };
    if (v !== null && typeof v === 'object')
      return { key, range: v as { gt?: number; gte?: number; lt?: number; lte?: number } };
    throw new InvalidArgumentError(
      `--filter: key ${JSON.stringify(key)}: use a string/number/boolean (equals), a list (in) or {"gte":..,"lt":..} (range)`,
    );
  });
  return { must };
}

/** A --payload: the metadata to set or overwrite with. */
function parsePayload(value: string): PointMetadata {
  return parseJsonObject(value, '--payload', '\'{"source":"docA","year":2024}\'') as PointMetadata;
}

/** A comma-separated list (ids, keys) given to option `what`; at least one item. */
function commaList(what: string) {
  return (value: string): string[] => {
    const items = value
      .split(',')
      .map((s) => s.trim())
      .filter((s) => s !== '');
    if (items.length === 0)
      throw new InvalidArgumentError(`${what} needs at least one item (comma-separated)`);
    return items;
  };
}

function finiteNumber(what: string) {
  return (value: string): number => {
    const n = Number(value);
    if (value.trim() === '' || !Number.isFinite(n))
      throw new InvalidArgumentError(`${what} must be a number, got ${JSON.stringify(value)}`);
    return n;
  };
}

/** The points a write by `--ids` or `--filter` applies to (exactly one of the two). */
/** --ids of a payload write: the points, by id. */
const idsOption = (): Option =>
  new Option('--ids <ids>', 'the points, comma-separated ids (every one must exist)').argParser(
    commaList('--ids'),
  );

/** --filter of a payload write: the points, by filter. */
const filterSelectionOption = (): Option =>
  new Option(
    '--filter <json>',
    'or every point matching this filter (see search --help)',
  ).argParser(parseFilter);

function selectionOf(command: string, o: { ids?: string[]; filter?: Filter }): PointSelection {
  if (o.ids !== undefined && o.filter !== undefined)
    throw new UsageError(`${command}: give --ids or --filter, not both`);
  if (o.ids !== undefined) return o.ids;
  if (o.filter !== undefined) return { filter: o.filter };
  throw new UsageError(
    `${command}: say which points: --ids a,b or --filter '{"must":[{"key":"source","equals":"docA"}]}'`,
  );
}

/** Bad lines of an update-batch file reported at most (the rest are counted). */
const MAX_REPORTED_BAD_LINES = 20;

/**
 * The operations of `update-batch`, each with where it came from (`ops.jsonl:3`,
 * `--ops[2]`): from --file (one JSON operation per line, `-` for stdin, blank lines
 * skipped) or --ops (a JSON array). Each is checked for its shape, as the client would,
 * so that a bad one is reported with its line and nothing is sent.
 */
function batchOperationsOf(o: { file?: string; ops?: string }): {
  operations: BatchOperationInput[];
  sources: string[];
} {
  if ((o.file === undefined) === (o.ops === undefined))
    throw new UsageError(
      "update-batch: give the operations as --file ops.jsonl (one per line; - for stdin) or as --ops '[...]' (one of them)",
    );
  const items: Array<{ source: string; text?: string; value?: unknown }> = [];
  const bad: string[] = [];
  let name: string;
  if (o.file !== undefined) {
    name = o.file === '-' ? 'stdin' : o.file;
    if (o.file !== '-' && (!existsSync(o.file) || !statSync(o.file).isFile()))
      throw new UsageError(`--file ${o.file}: no such file`);
    const text = readFileSync(o.file === '-' ? 0 : o.file, 'utf8');
    text.split(/\r?\n/).forEach((line, i) => {
      if (line.trim() !== '') items.push({ source: `${name}:${i + 1}`, text: line });
    });
  } else {
    name = '--ops';
    let raw: unknown;
    try {
      raw = JSON.parse(o.ops!);
    } catch (err) {
      throw new UsageError(`--ops is not valid JSON: ${(err as Error).message}`);
    }
    if (!Array.isArray(raw))
      throw new UsageError(
        '--ops must be a JSON array of operations, e.g. \'[{"upsert":[{"id":"a","vector":[0.1,0.2]}]},{"delete":["b"]}]\'',
      );
    raw.forEach((value, i) => items.push({ source: `--ops[${i}]`, value }));
  }
  const operations: BatchOperationInput[] = [];
  for (const item of items) {
    try {
      let value = item.value;
      if (item.text !== undefined) {
        try {
          value = JSON.parse(item.text);
        } catch (err) {
          throw new UsageError(`not valid JSON (${(err as Error).message})`);
        }
      }
      batchOperationToProto(value as BatchOperationInput);
      operations.push(value as BatchOperationInput);
    } catch (err) {
      if (!(err instanceof UsageError || err instanceof RaftvecError)) throw err;
      bad.push(`${item.source}: ${err.message}`);
    }
  }
  if (bad.length > 0) {
    const shown = bad.slice(0, MAX_REPORTED_BAD_LINES).map((b) => `  ${b}`);
    if (bad.length > shown.length) shown.push(`  … and ${bad.length - shown.length} more`);
    throw new UsageError(
      `${name}: ${bad.length} bad operation(s); nothing was sent:\n${shown.join('\n')}`,
    );
  }
  if (operations.length === 0) throw new UsageError(`${name} holds no operation`);
  return { operations, sources: items.map((item) => item.source) };
}

function parseMetric(value: string): Metric {
  if (value === 'l2' || value === 'ip' || value === 'cosine') return value;
  throw new InvalidArgumentError(`metric must be l2, ip or cosine, got ${JSON.stringify(value)}`);
}

// ------------------------------------------------------------ the program

interface GlobalOptions {
  address: string;
  timeout: number;
  /** --api-key, or RAFTVEC_API_KEY (empty: none). */
  apiKey?: string;
  /** --tls: TLS with the system's root certificates. */
  tls?: boolean;
  /** --tls-ca, or RAFTVEC_TLS_CA: TLS trusting this CA. */
  tlsCa?: string;
  clientCert?: string;
  clientKey?: string;
}

/** How the client commands dial: plaintext, or TLS per --tls, --tls-ca, --client-cert/key. */
function credentialsOf(g: GlobalOptions): ChannelCredentials {
  const caFile = g.tlsCa === '' ? undefined : g.tlsCa;
  if ((g.clientCert === undefined) !== (g.clientKey === undefined))
    throw new UsageError('--client-cert and --client-key go together');
  if (!g.tls && caFile === undefined && g.clientCert === undefined)
    return channelCredentials(false);
  try {
    return channelCredentials(
      clientTlsFromFiles({ caFile, certFile: g.clientCert, keyFile: g.clientKey }),
    );
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
}

/** The API key the client commands send: --api-key, else RAFTVEC_API_KEY; none if empty. */
function apiKeyOf(g: GlobalOptions): string | undefined {
  return g.apiKey === undefined || g.apiKey === '' ? undefined : g.apiKey;
}

/** The addresses of a comma-separated --address. */
function addressList(address: string): string[] {
  return address
    .split(',')
    .map((a) => a.trim())
    .filter((a) => a !== '');
}

/** Reads --api-keys-file; a bad file is a usage error naming what is wrong. */
async function loadApiKeysOrExit(path: string): Promise<ApiKeys> {
  try {
    return await loadApiKeys(path);
  } catch (err) {
    if (err instanceof ApiKeysFileError) throw new UsageError(err.message);
    throw err;
  }
}

/**
 * How an admin command (`what`) authenticates: with the cluster secret (from
 * --cluster-secret-file or RAFTVEC_CLUSTER_SECRET) if there is one, as before; else
 * with an admin API key (--api-key or RAFTVEC_API_KEY), which the node accepts
 * instead. `credentials` goes with the admin call; `apiKey` is the key the command's
 * ClusterStatusClient for the admin call sends (none with the secret: a node with API
 * keys judges a call that carries a key by the key alone, so a read key sent along
 * would get the secret refused).
 */
function adminAuth(
  what: string,
  clusterSecretFile: string | undefined,
  apiKey: string | undefined,
): { credentials: Metadata; apiKey?: string } {
  const secret =
    clusterSecretFile !== undefined
      ? readClusterSecretFile(clusterSecretFile)
      : process.env['RAFTVEC_CLUSTER_SECRET'];
  if (secret !== undefined && secret !== '')
    return { credentials: peerCredentials(secret, 'raftvec-cli') };
  if (apiKey !== undefined) return { credentials: new Metadata(), apiKey };
  throw new UsageError(
    `${what} needs the cluster secret: --cluster-secret-file PATH or RAFTVEC_CLUSTER_SECRET; or an admin API key: --api-key KEY or RAFTVEC_API_KEY`,
  );
}

/** serve's TLS flags as NodeTlsOptions (undefined: plaintext); pairs incomplete are usage errors. */
function tlsFlags(opts: {
  tlsCert?: string;
  tlsKey?: string;
  peerCa?: string;
  peerCert?: string;
  peerKey?: string;
}): NodeTlsOptions | undefined {
  if ((opts.tlsCert === undefined) !== (opts.tlsKey === undefined))
    throw new UsageError('--tls-cert and --tls-key go together');
  const peerFlags = [opts.peerCa, opts.peerCert, opts.peerKey].filter((f) => f !== undefined);
  if (peerFlags.length !== 0 && peerFlags.length !== 3)
    throw new UsageError('--peer-ca, --peer-cert and --peer-key go together (mutual TLS)');
  const server =
    opts.tlsCert !== undefined && opts.tlsKey !== undefined
      ? { certFile: opts.tlsCert, keyFile: opts.tlsKey }
      : undefined;
  const peer =
    opts.peerCa !== undefined && opts.peerCert !== undefined && opts.peerKey !== undefined
      ? { caFile: opts.peerCa, certFile: opts.peerCert, keyFile: opts.peerKey }
      : undefined;
  if (server === undefined && peer === undefined) return undefined;
  return { ...(server && { server }), ...(peer && { peer }) };
}

/** The smallest lease drift margin: one Raft tick, for timer jitter. */
const MIN_LEASE_DRIFT_MS = 10;

interface ReadFlags {
  consistency?: ReadConsistency;
  maxStalenessMs?: number;
  session?: string;
  readInfo: boolean;
}

/** The read-consistency flags of get, search, count and scroll (docs/consistency.md). */
function withReadFlags(cmd: Command): Command {
  return cmd
    .addOption(
      new Option(
        '--consistency <level>',
        'linearizable (default), lease, bounded, session or eventual',
      ).choices(READ_CONSISTENCIES),
    )
    .option(
      '--max-staleness-ms <ms>',
      'for bounded reads: how much older than now the answer may be (default 1000)',
      positiveInt('--max-staleness-ms', 86_400_000),
    )
    .option(
      '--session <token>',
      "for session reads: the highest log index seen so far (a write's logIndex); implies --consistency session",
    )
    .option('--read-info', 'print which replica answered, and how fresh it was, on stderr', false);
}

/** The client read options for `flags`; the session read's token checked. */
function readOptionsOf(flags: ReadFlags): ConsistencyOptions {
  const consistency = flags.consistency ?? (flags.session !== undefined ? 'session' : undefined);
  if (flags.session !== undefined && consistency !== 'session')
    throw new UsageError('--session goes with --consistency session');
  if (flags.maxStalenessMs !== undefined && consistency !== 'bounded')
    throw new UsageError('--max-staleness-ms goes with --consistency bounded');
  let session: Session | undefined;
  if (flags.session !== undefined) {
    try {
      session = Session.resume(flags.session);
    } catch (err) {
      throw new UsageError(`--session: ${(err as Error).message}`);
    }
  }
  return {
    ...(consistency !== undefined && { consistency }),
    ...(flags.maxStalenessMs !== undefined && { maxStalenessMs: flags.maxStalenessMs }),
    ...(session !== undefined && { session }),
    ...(flags.readInfo && {
      onReadInfo: (info: ReadInfo) =>
        process.stderr.write(
          `read served by ${info.replicaId}: applied index ${info.appliedIndex}, leader commit index ${info.leaderCommitIndex}, staleness ${
            info.stalenessBoundMs === undefined ? 'unknown' : `at most ${info.stalenessBoundMs} ms`
          }\n`,
        ),
    }),
  };
}

/** --write-concern of the write commands. */
const writeConcernOption = (): Option =>
  new Option('--write-concern <wc>', 'majority or all')
    .choices(['majority', 'all'])
    .default('majority');

/** --no-metadata and --metadata-keys of a read, checked against each other. */
function metadataFlags(o: { metadata: boolean; metadataKeys?: string[] }): {
  withMetadata: boolean;
  metadataKeys?: string[];
} {
  if (o.metadataKeys === undefined) return { withMetadata: o.metadata };
  if (!o.metadata) throw new UsageError('give --metadata-keys or --no-metadata, not both');
  return { withMetadata: true, metadataKeys: o.metadataKeys };
}

function buildProgram(): Command {
  const program = new Command('raftvec')
    .description(
      'raftvec: a vector database whose writes are replicated by Raft (FAISS + LevelDB + gRPC)',
    )
    .addOption(
      new Option(
        '-a, --address <host:port>',
        'server to talk to (comma-separated for several nodes)',
      )
        .env('RAFTVEC_ADDRESS')
        .default(DEFAULT_ADDRESS),
    )
    .addOption(
      new Option('--timeout <ms>', 'deadline of each call in milliseconds')
        .argParser(positiveInt('--timeout'))
        .default(10_000),
    )
    .addOption(
      new Option(
        '--api-key <key>',
        'API key for a server run with --api-keys-file (sent as "authorization: Bearer <key>")',
      ).env('RAFTVEC_API_KEY'),
    )
    .addOption(new Option('--tls', "connect with TLS, trusting the system's root certificates"))
    .addOption(
      new Option('--tls-ca <path>', 'connect with TLS, trusting this PEM CA (implies --tls)').env(
        'RAFTVEC_TLS_CA',
      ),
    )
    .addOption(
      new Option(
        '--client-cert <path>',
        'PEM client certificate to present (implies --tls; for cluster-secret admin calls under mutual TLS: CN=raftvec-cli)',
      ),
    )
    .addOption(new Option('--client-key <path>', 'PEM private key of --client-cert'))
    .showHelpAfterError('(add --help for usage)')
    .exitOverride()
    .configureOutput({ outputError: (str, write) => write(str) });

  const connect = (cmd: Command): RaftvecClient => {
    const g = cmd.optsWithGlobals<GlobalOptions>();
    const addresses = addressList(g.address);
    const apiKey = apiKeyOf(g);
    return new RaftvecClient(addresses, {
      deadlineMs: g.timeout,
      ...(apiKey && { apiKey }),
      credentials: credentialsOf(g),
    });
  };
  /** Runs `fn` with a connected client and closes it. */
  const withClient = (
    fn: (client: RaftvecClient, cmd: Command, ...args: never[]) => Promise<void>,
  ) =>
    async function (this: Command, ...args: unknown[]): Promise<void> {
      const client = connect(this);
      try {
        await (fn as (c: RaftvecClient, cmd: Command, ...a: unknown[]) => Promise<void>)(
          client,
          this,
          ...args,
        );
      } finally {
        client.close();
      }
    };

  program
    .command('serve')
    .description('run a raftvec node: alone, or as a member of a Raft cluster (--id and --peers)')
    .requiredOption('--data <dir>', 'data folder (created if missing)')
    .option(
      '--listen <host:port>',
      'address to listen on; port 0 picks a free port',
      DEFAULT_ADDRESS,
    )
    .option('--id <id>', "this node's id in the cluster", 'n1')
    .option(
      '--advertise <host:port>',
      'address clients should use for this node, sent in leader hints by the other members (behind a proxy, a Kubernetes service or NAT); default: the listen address',
    )
    .option(
      '--peers <list>',
      'every member as ID=HOST:PORT, comma-separated, this node included (e.g. n1=10.0.0.1:7000,n2=...); only where a new cluster starts: a stored configuration wins',
    )
    .option(
      '--join <host:port>',
      'join the running cluster that has a member at this address (instead of --peers): added as a learner, promoted to voter once caught up',
    )
    .option('--learner', 'with --join: stay a learner (a non-voting replica)', false)
    .option(
      '--cluster-secret-file <path>',
      'file holding the cluster secret (preferred: unlike --cluster-secret it is not visible in ps; chmod 600 it)',
    )
    .option(
      '--cluster-secret <secret>',
      'shared secret from which peers derive their keys (default: env RAFTVEC_CLUSTER_SECRET); visible in ps, prefer --cluster-secret-file',
    )
    .option(
      '--metrics-listen <host:port>',
      'serve Prometheus metrics over HTTP at GET /metrics on this address (e.g. 127.0.0.1:9464)',
    )
    .option(
      '--api-keys-file <path>',
      'JSON file of API keys with roles ({"keys": [{"id", "role": read|write|admin, "sha256"}]}, see raftvec keys generate); every client call but health must then present one',
    )
    .option(
      '--tls-cert <path>',
      'PEM certificate (chain) the port presents: TLS for clients and peers alike; with --tls-key',
    )
    .option('--tls-key <path>', 'PEM private key of --tls-cert')
    .option(
      '--peer-ca <path>',
      "PEM CA that signs every node's peer certificate: mutual TLS between nodes, with --peer-cert and --peer-key",
    )
    .option(
      '--peer-cert <path>',
      "this node's PEM peer certificate, subject CN = its node id (presented to peers; also the port's certificate without --tls-cert)",
    )
    .option('--peer-key <path>', 'PEM private key of --peer-cert')
    .option(
      '--heartbeat-ms <ms>',
      'leader heartbeat interval',
      positiveInt('--heartbeat-ms', 10_000),
      50,
    )
    .option(
      '--election-timeout-ms <ms>',
      'silence after which a follower campaigns (randomized up to twice this)',
      positiveInt('--election-timeout-ms', 600_000),
      250,
    )
    .option(
      '--max-pending-writes <n>',
      'entries a leader holds appended and not yet applied; past it, writes get RESOURCE_EXHAUSTED with a retry-after-ms hint',
      positiveInt('--max-pending-writes', 1_000_000),
      4096,
    )
    .option(
      '--max-connections <n>',
      'open connections at once, clients and peers together; more are closed on arrival',
      positiveInt('--max-connections', 1_000_000),
      1024,
    )
    .option(
      '--sync-state-writes',
      'fsync the state store after every applied entry too (off: the Raft log is the durable record)',
      false,
    )
    .option(
      '--snapshot-threshold-entries <n>',
      'entries applied between two snapshots of the state; the log is compacted behind each',
      positiveInt('--snapshot-threshold-entries', 100_000_000),
      DEFAULT_SNAPSHOT_POLICY.thresholdEntries,
    )
    .option(
      '--snapshot-trailing-entries <n>',
      'entries kept in the log before the snapshot point, for followers a little behind',
      (v: string) => nonNegativeInt('--snapshot-trailing-entries', v),
      DEFAULT_SNAPSHOT_POLICY.trailingEntries,
    )
    .option(
      '--lease-drift-ms <ms>',
      "how much shorter than the election timeout the leader's lease is (LEASE reads): the bound on clock drift between members over one election timeout",
      positiveInt('--lease-drift-ms', 600_000),
      DEFAULT_LEASE.driftMs,
    )
    .option(
      '--max-clock-skew-ms <ms>',
      "bound on the difference between members' wall clocks (BOUNDED reads on followers add it to their staleness)",
      (v: string) => nonNegativeInt('--max-clock-skew-ms', v),
      DEFAULT_LEASE.maxClockSkewMs,
    )
    .option(
      '--no-transfer-on-stop',
      'on SIGTERM/SIGINT, stop without handing leadership to another voter first (the others then wait out an election timeout)',
    )
    .addOption(
      new Option(
        '--log-level <level>',
        'least severe log level written (JSON lines on stderr; pretty-printed on a terminal when pino-pretty is installed)',
      )
        .choices(['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'])
        .env('RAFTVEC_LOG_LEVEL')
        .default('info'),
    )
    .addOption(new Option('--unsafe-ack-before-commit').hideHelp().default(false))
    .addOption(new Option('--unsafe-reads-without-read-index').hideHelp().default(false))
    .addOption(new Option('--unsafe-skip-session-table').hideHelp().default(false))
    .addOption(new Option('--unsafe-lease-never-expires').hideHelp().default(false))
    .addOption(new Option('--unsafe-bounded-reads-ignore-staleness').hideHelp().default(false))
    .addOption(new Option('--unsafe-session-reads-ignore-index').hideHelp().default(false))
    .addHelpText(
      'after',
      '\nPrints "raftvec listening on HOST:PORT" on stdout once bound; health turns SERVING once the node\n' +
        'knows a leader. Data lives in DIR/raft (the Raft log), DIR/state (vectors, metadata),\n' +
        'DIR/snapshots and DIR/index-checkpoints.\n' +
        'SIGTERM/SIGINT stop it gracefully (in-flight calls finish, LevelDB is closed).',
    )
    .action(
      async (opts: {
        data: string;
        listen: string;
        id: string;
        advertise?: string;
        peers?: string;
        join?: string;
        learner: boolean;
        leaseDriftMs: number;
        maxClockSkewMs: number;
        transferOnStop: boolean;
        logLevel: LogLevelSetting;
        clusterSecret?: string;
        clusterSecretFile?: string;
        apiKeysFile?: string;
        metricsListen?: string;
        tlsCert?: string;
        tlsKey?: string;
        peerCa?: string;
        peerCert?: string;
        peerKey?: string;
        heartbeatMs: number;
        electionTimeoutMs: number;
        maxConnections: number;
        maxPendingWrites: number;
        syncStateWrites: boolean;
        snapshotThresholdEntries: number;
        snapshotTrailingEntries: number;
        unsafeAckBeforeCommit: boolean;
        unsafeReadsWithoutReadIndex: boolean;
        unsafeSkipSessionTable: boolean;
        unsafeLeaseNeverExpires: boolean;
        unsafeBoundedReadsIgnoreStaleness: boolean;
        unsafeSessionReadsIgnoreIndex: boolean;
      }) => {
        const { startNode } = await import('../server/node.js');
        // RAFTVEC_BOOTSTRAP=statefulset: flags not given come from the pod's identity (k8s/).
        const { statefulSetDefaults } = await import('./statefulset.js');
        const serve = program.commands.find((c) => c.name() === 'serve');
        const boot = statefulSetDefaults(process.env, (f) => serve?.getOptionValueSource(f));
        Object.assign(opts, boot);
        const peers = opts.peers === undefined ? undefined : parsePeers(opts.peers, opts.id);
        if (opts.join !== undefined) {
          if (peers !== undefined)
            throw new UsageError(
              'give --join or --peers, not both: a joining node learns its peers from the cluster',
            );
          const problem = clientAddressProblem(opts.join);
          if (problem !== undefined) throw new UsageError(`--join: ${problem}`);
        } else if (opts.learner) throw new UsageError('--learner goes with --join');
        if (opts.electionTimeoutMs <= opts.heartbeatMs) {
          throw new UsageError('--election-timeout-ms must be larger than --heartbeat-ms');
        }
        if (opts.leaseDriftMs < MIN_LEASE_DRIFT_MS) {
          throw new UsageError(
            `--lease-drift-ms must be at least ${MIN_LEASE_DRIFT_MS} (one Raft tick: it also covers timers that fire late or early)`,
          );
        }
        if (opts.leaseDriftMs >= opts.electionTimeoutMs) {
          throw new UsageError(
            '--lease-drift-ms must be smaller than --election-timeout-ms (the lease is the election timeout minus the drift)',
          );
        }
        if (opts.advertise !== undefined) {
          const problem = clientAddressProblem(opts.advertise);
          if (problem !== undefined) throw new UsageError(`--advertise: ${problem}`);
        }
        if (opts.clusterSecret !== undefined && opts.clusterSecretFile !== undefined) {
          throw new UsageError('give either --cluster-secret or --cluster-secret-file, not both');
        }
        const clusterSecret =
          opts.clusterSecretFile !== undefined
            ? readClusterSecretFile(opts.clusterSecretFile)
            : (opts.clusterSecret ?? process.env['RAFTVEC_CLUSTER_SECRET']);
        const { createNodeLog } = await import('../server/node-log.js');
        const log = createNodeLog({
          nodeId: opts.id,
          level: opts.logLevel,
          secrets: [clusterSecret],
        });
        const apiKeys =
          opts.apiKeysFile === undefined ? undefined : await loadApiKeysOrExit(opts.apiKeysFile);
        const tls = tlsFlags(opts);
        let node: Awaited<ReturnType<typeof startNode>>;
        try {
          node = await startNode({
            ...(apiKeys && { apiKeys }),
            ...(tls && { tls }),
            ...(opts.metricsListen !== undefined && { metricsListen: opts.metricsListen }),
            listen: opts.listen,
            dataDir: opts.data,
            id: opts.id,
            log,
            ...(opts.advertise !== undefined && { advertise: opts.advertise }),
            lease: { driftMs: opts.leaseDriftMs, maxClockSkewMs: opts.maxClockSkewMs },
            transferLeadershipOnStop: opts.transferOnStop,
            ...(peers && { peers }),
            ...(opts.join !== undefined && { join: opts.join, joinAsLearner: opts.learner }),
            ...(clusterSecret && { clusterSecret }),
            raftTiming: raftTimingFromMs(opts.heartbeatMs, opts.electionTimeoutMs),
            connectionLimits: { maxConnections: opts.maxConnections },
            maxPendingWrites: opts.maxPendingWrites,
            syncStateWrites: opts.syncStateWrites,
            snapshots: {
              thresholdEntries: opts.snapshotThresholdEntries,
              trailingEntries: opts.snapshotTrailingEntries,
            },
            // Hidden: jepsen-lite's proof that its checks bite (src/server/unsafe-test-flags.ts).
            unsafe: {
              ackBeforeCommit: opts.unsafeAckBeforeCommit,
              readsWithoutReadIndex: opts.unsafeReadsWithoutReadIndex,
              skipSessionTable: opts.unsafeSkipSessionTable,
              leaseNeverExpires: opts.unsafeLeaseNeverExpires,
              boundedReadsIgnoreStaleness: opts.unsafeBoundedReadsIgnoreStaleness,
              sessionReadsIgnoreIndex: opts.unsafeSessionReadsIgnoreIndex,
            },
            onFatal: () => {
              log.at('fatal', 'fatal error; exiting so a supervisor can restart the node');
              process.exit(70);
            },
          });
        } catch (err) {
          throw new CliError(`cannot start: ${err instanceof Error ? err.message : String(err)}`, {
            cause: err,
          });
        }
        await new Promise<void>((resolve) => {
          let stopping = false;
          const onSignal = (signal: NodeJS.Signals): void => {
            if (stopping) {
              log.at('warn', `${signal} again; exiting now`);
              process.exit(1);
            }
            stopping = true;
            log(`${signal}: stopping (finishing in-flight calls)`);
            node.stop().then(
              () => resolve(),
              (err: unknown) => {
                log('error while stopping', err);
                process.exitCode = 1;
                resolve();
              },
            );
          };
          process.on('SIGTERM', onSignal);
          process.on('SIGINT', onSignal);
        });
        log('stopped');
      },
    );

  const snapshot = program
    .command('snapshot')
    .description(
      "snapshot each node's state now and compact its log behind it (needs the cluster secret or an admin API key)",
    )
    .option('--cluster-secret-file <path>', 'file holding the cluster secret (chmod 600)')
    .action(async function (this: Command, opts: { clusterSecretFile?: string }) {
      const g = this.optsWithGlobals<GlobalOptions>();
      const auth = adminAuth('snapshot', opts.clusterSecretFile, apiKeyOf(g));
      const addresses = addressList(g.address);
      const results = await Promise.all(
        addresses.map(async (address) => {
          const client = new ClusterStatusClient(address, {
            apiKey: auth.apiKey,
            credentials: credentialsOf(g),
          });
          try {
            const taken = await client.takeSnapshot(auth.credentials);
            return { address, ...taken };
          } finally {
            client.close();
          }
        }),
      );
      printJson(results);
    });
  snapshot
    .command('restore')
    .description(
      "build a NEW cluster member's data directory from one node's snapshot folder (like etcdutl snapshot restore); run once per member, same --from and --peers",
    )
    .requiredOption(
      '--from <folder>',
      'the snapshot folder: <data>/snapshots/<index> of a node of the old cluster (every file is checked against its meta.json)',
    )
    .requiredOption('--data <dir>', "the new member's data folder (missing or empty)")
    .requiredOption('--id <id>', "the new member's id (listed in --peers)")
    .requiredOption(
      '--peers <list>',
      'every voter of the NEW cluster as ID=HOST:PORT, comma-separated, this member included: its configuration (the old one is not kept)',
    )
    .addHelpText(
      'after',
      '\nThe member then starts with: raftvec serve --data DIR --id ID --peers (the same list), with the\n' +
        "new cluster's secret. Its Raft log starts after the snapshot's index with --peers as the\n" +
        'configuration there; every member restored from the same folder with the same --peers agrees\n' +
        'on it. Prints what was restored as JSON.',
    )
    .action(async (opts: { from: string; data: string; id: string; peers: string }) => {
      const { restoreSnapshot } = await import('./restore.js');
      printJson(
        await restoreSnapshot({
          from: opts.from,
          dataDir: opts.data,
          id: opts.id,
          peers: parsePeers(opts.peers, opts.id),
        }),
      );
    });

  const leader = program
    .command('leader')
    .description('leadership of the cluster (needs the cluster secret or an admin API key)');
  leader
    .command('transfer')
    .description(
      'hand leadership to another voter (default: the most up-to-date one): no election timeout, writes refused only while it happens',
    )
    .option('--to <id>', 'the voter to hand leadership to')
    .option('--cluster-secret-file <path>', 'file holding the cluster secret (chmod 600)')
    .action(async function (this: Command, opts: { to?: string; clusterSecretFile?: string }) {
      const g = this.optsWithGlobals<GlobalOptions>();
      const auth = adminAuth('leader transfer', opts.clusterSecretFile, apiKeyOf(g));
      const { address: leaderAddress, id: from } = await findLeader(
        addressList(g.address),
        g.timeout,
        apiKeyOf(g),
        credentialsOf(g),
      );
      const client = new ClusterStatusClient(leaderAddress, {
        apiKey: auth.apiKey,
        credentials: credentialsOf(g),
      });
      const started = Date.now();
      try {
        const done = await client.transferLeadership(
          auth.credentials,
          { to: opts.to ?? '', timeoutMs: 0 },
          g.timeout,
        );
        printJson({ from, to: done.leaderId, term: done.term, ms: Date.now() - started });
      } catch (err) {
        throw RaftvecClientError.fromServiceError('TransferLeadership', err);
      } finally {
        client.close();
      }
    });

  const member = program
    .command('member')
    .description(
      'cluster membership: list, add, promote and remove members, one at a time through the Raft log (changes need the cluster secret or an admin API key)',
    );
  /** Runs a membership change at the leader and prints the configuration it answers. */
  const atLeaderPrint = async (
    g: GlobalOptions,
    what: string,
    secretFile: string | undefined,
    call: (client: ClusterStatusClient, credentials: Metadata) => Promise<Membership__Output>,
  ): Promise<void> => {
    const auth = adminAuth(`member ${what}`, secretFile, apiKeyOf(g));
    const leaderAt = await findLeader(
      addressList(g.address),
      g.timeout,
      apiKeyOf(g),
      credentialsOf(g),
    );
    const client = new ClusterStatusClient(leaderAt.address, {
      apiKey: auth.apiKey,
      credentials: credentialsOf(g),
    });
    try {
      printMembership(await call(client, auth.credentials));
    } catch (err) {
      throw RaftvecClientError.fromServiceError(`member ${what}`, err);
    } finally {
      client.close();
    }
  };
  member
    .command('list')
    .description('voters and learners in force, as the first node that answers knows them')
    .action(async function (this: Command) {
      const g = this.optsWithGlobals<GlobalOptions>();
      const errors: string[] = [];
      for (const address of addressList(g.address)) {
        const client = new ClusterStatusClient(address, {
          apiKey: apiKeyOf(g),
          credentials: credentialsOf(g),
        });
        try {
          printMembership(await client.listMembers(Math.min(g.timeout, 5_000)));
          return;
        } catch (err) {
          errors.push(`${address}: ${err instanceof Error ? err.message : String(err)}`);
        } finally {
          client.close();
        }
      }
      throw new CliError(`no node answered: ${errors.join('; ')}`);
    });
  member
    .command('add <id> <peer-address>')
    .description(
      'add a member that listens at <peer-address> (HOST:PORT): as a learner first; without --learner it is promoted to voter once it has caught up (start it with serve --join)',
    )
    .option('--learner', 'keep it a learner (a non-voting replica)', false)
    .option('--client-address <host:port>', 'where clients reach it, if not at <peer-address>')
    .option('--cluster-secret-file <path>', 'file holding the cluster secret (chmod 600)')
    .action(async function (
      this: Command,
      id: string,
      peerAddress: string,
      opts: { learner: boolean; clientAddress?: string; clusterSecretFile?: string },
    ) {
      const g = this.optsWithGlobals<GlobalOptions>();
      await atLeaderPrint(g, 'add', opts.clusterSecretFile, (client, credentials) =>
        client.addMember(
          credentials,
          {
            id,
            peerAddress,
            clientAddress: opts.clientAddress ?? '',
            learner: opts.learner,
            timeoutMs: Math.min(g.timeout, 600_000),
          },
          g.timeout + 5_000,
        ),
      );
    });
  member
    .command('promote <id>')
    .description("promote a learner to voter, once its log is close enough to the leader's")
    .option('--cluster-secret-file <path>', 'file holding the cluster secret (chmod 600)')
    .action(async function (this: Command, id: string, opts: { clusterSecretFile?: string }) {
      const g = this.optsWithGlobals<GlobalOptions>();
      await atLeaderPrint(g, 'promote', opts.clusterSecretFile, (client, credentials) =>
        client.promoteMember(
          credentials,
          { id, timeoutMs: Math.min(g.timeout, 600_000) },
          g.timeout + 5_000,
        ),
      );
    });
  member
    .command('remove <id>')
    .description(
      'remove a member (a voter, a learner, or the leader itself, which then hands leadership over and steps down)',
    )
    .option('--cluster-secret-file <path>', 'file holding the cluster secret (chmod 600)')
    .action(async function (this: Command, id: string, opts: { clusterSecretFile?: string }) {
      const g = this.optsWithGlobals<GlobalOptions>();
      await atLeaderPrint(g, 'remove', opts.clusterSecretFile, (client, credentials) =>
        client.removeMember(credentials, { id }, g.timeout),
      );
    });

  program
    .command('status')
    .description("each node's Raft role, term, commit and applied index, and lag behind the leader")
    .option('--json', 'print JSON instead of a table')
    .action(async function (this: Command, opts: { json?: boolean }) {
      const g = this.optsWithGlobals<GlobalOptions>();
      const addresses = addressList(g.address);
      const nodes = await Promise.all(
        addresses.map(async (address) => {
          const client = new ClusterStatusClient(address, {
            apiKey: apiKeyOf(g),
            credentials: credentialsOf(g),
          });
          try {
            const [status, health] = await Promise.all([
              client.status(Math.min(g.timeout, 5_000)),
              checkHealth(address, '', Math.min(g.timeout, 5_000), credentialsOf(g)),
            ]);
            return { ...status, address, health };
          } catch (err) {
            return {
              address,
              health: 'UNREACHABLE',
              error: err instanceof Error ? err.message : String(err),
            };
          } finally {
            client.close();
          }
        }),
      );
      const leaderCommit = Math.max(
        0,
        ...nodes.map((n) => ('commitIndex' in n ? n.commitIndex : 0)),
      );
      const rows = nodes.map((n) =>
        'appliedIndex' in n && n.phase === 'running'
          ? { ...n, lag: leaderCommit - n.appliedIndex }
          : n,
      );
      const divergence = await compareDigests(
        rows,
        Math.min(g.timeout, 5_000),
        apiKeyOf(g),
        credentialsOf(g),
      );
      if (opts.json) printJson({ nodes: rows, divergence });
      else {
        printStatusTable(rows);
        for (const line of divergence) process.stderr.write(`raftvec: ERROR: ${line}\n`);
      }
      if (nodes.some((n) => n.health !== 'SERVING') || divergence.length > 0) process.exitCode = 1;
    });

  const cluster = program
    .command('cluster')
    .description('a local cluster of child processes on loopback, for trying raftvec out');
  cluster
    .command('demo')
    .description(
      'start a local 3-node cluster and run the reference scenario; leaves the cluster running',
    )
    .option('--root <dir>', "folder for the cluster's data and logs", '.cluster')
    .option(
      '--tls',
      'run the nodes with mutual TLS, with a development CA and certificates made in ROOT/certs (scripts/dev-certs.sh, needs openssl)',
      false,
    )
    .action(async function (this: Command, opts: { root: string }) {
      // The program's own --tls (a client flag) takes the flag wherever it stands.
      const { tls } = this.optsWithGlobals<{ tls?: boolean }>();
      const { runDemo } = await import('./demo.js');
      await runDemo(resolvePath(opts.root), { tls: tls === true });
    });
  cluster
    .command('stop')
    .description('stop the local cluster started by `cluster demo` (its data stays)')
    .option('--root <dir>', 'folder of the cluster', '.cluster')
    .action(async (opts: { root: string }) => {
      const { loadCluster, stopLocalCluster } = await import('./local-cluster.js');
      const local = loadCluster(resolvePath(opts.root));
      if (local === undefined) {
        process.stdout.write(`no local cluster described in ${opts.root}/cluster.json\n`);
        return;
      }
      const stopped = await stopLocalCluster(local);
      process.stdout.write(
        stopped.length > 0 ? `stopped ${stopped.join(', ')}\n` : 'no node was running\n',
      );
    });

  const keys = program
    .command('keys')
    .description('API keys for serve --api-keys-file (see README, "Security: API keys")');
  keys
    .command('generate')
    .description(
      'make a new random API key: prints the key (once: only its SHA-256 is kept) on stdout, and the entry to add to the "keys" list of the --api-keys-file on stderr, as one line of JSON',
    )
    .addOption(
      new Option('--role <role>', 'what the key may do: read, write or admin')
        .choices(['read', 'write', 'admin'])
        .makeOptionMandatory(),
    )
    .requiredOption('--id <name>', "the key's name in the keys file (1 to 128 characters)")
    .action((opts: { role: Role; id: string }) => {
      if (opts.id === '' || opts.id.length > 128)
        throw new UsageError('--id must be a name of 1 to 128 characters');
      const { key, entry } = generateApiKey(opts.id, opts.role);
      process.stdout.write(`${key}\n`);
      process.stderr.write(`${JSON.stringify(entry)}\n`);
    });

  program
    .command('create-collection')
    .description('create a collection')
    .argument('<name>', 'collection name: letters, digits, "_" and "-"')
    .requiredOption('--dim <n>', 'vector dimension', positiveInt('--dim'))
    .addOption(
      new Option('--metric <metric>', 'distance metric')
        .choices(['l2', 'ip', 'cosine'])
        .default('l2')
        .argParser(parseMetric),
    )
    .option('--index <spec>', 'FAISS factory string, e.g. Flat, HNSW32, IVF100,Flat', 'Flat')
    .option(
      '--ef-search <n>',
      'HNSW: default search breadth of this collection (default 256; a search may override it)',
      positiveInt('--ef-search'),
    )
    .addOption(
      new Option('--write-concern <wc>', 'majority or all')
        .choices(['majority', 'all'])
        .default('majority'),
    )
    .action(
      withClient(async (client, cmd, name: string) => {
        const o = cmd.opts<{
          dim: number;
          metric: Metric;
          index: string;
          efSearch?: number;
          writeConcern: 'majority' | 'all';
        }>();
        const res = await client.createCollection(name, {
          dimension: o.dim,
          metric: o.metric,
          indexSpec: o.index,
          ...(o.efSearch !== undefined && { efSearch: o.efSearch }),
          writeConcern: o.writeConcern,
        });
        printJson({ collection: collectionJson(res.collection), logIndex: res.logIndex });
      }),
    );

  program
    .command('drop-collection')
    .description('drop a collection and all its points')
    .argument('<name>', 'collection name')
    .action(
      withClient(async (client, _cmd, name: string) => {
        printJson(await client.dropCollection(name));
      }),
    );

  program
    .command('collections')
    .alias('list-collections')
    .description('list collections')
    .action(
      withClient(async (client) => {
        printJson((await client.listCollections()).map(collectionJson));
      }),
    );

  program
    .command('describe')
    .alias('describe-collection')
    .description('describe a collection (dimension, metric, index, point count, payload indexes)')
    .argument('<name>', 'collection name')
    .action(
      withClient(async (client, _cmd, name: string) => {
        printJson(collectionJson(await client.describeCollection(name)));
      }),
    );

  program
    .command('upsert')
    .description('insert or replace points from a JSONL file')
    .argument('<collection>', 'collection name')
    .requiredOption(
      '--file <points.jsonl>',
      'one point per line: {"id":"a","values":[..],"metadata":{..}} ("vector" works for "values")',
    )
    .option('--batch <n>', 'points per request', positiveInt('--batch', 10_000), 500)
    .addOption(
      new Option('--write-concern <wc>', 'majority or all')
        .choices(['majority', 'all'])
        .default('majority'),
    )
    .addHelpText(
      'after',
      "\nThe whole file is checked first (against the collection's dimension and the server's rules);\n" +
        'if any line is bad, its line number is reported and nothing is sent. Each batch is applied\n' +
        'atomically. Progress goes to stderr; the summary (JSON) to stdout.',
    )
    .action(
      withClient(async (client, cmd, collection: string) => {
        const o = cmd.opts<{ file: string; batch: number; writeConcern: 'majority' | 'all' }>();
        if (!existsSync(o.file) || !statSync(o.file).isFile())
          throw new UsageError(`--file ${o.file}: no such file`);
        const info = await client.describeCollection(collection);
        const total = await checkJsonlFile(o.file, info.dimension, info.metric);
        const progress = createProgress(total, `upsert ${collection}`);
        let done = 0;
        let requests = 0;
        let logIndex = 0;
        const points = readJsonlPoints(o.file, info.dimension, info.metric, (e) => {
          // the file changed since it was checked
          throw new JsonlError(o.file, [e], 0);
        });
        for await (const batch of batches(points, o.batch)) {
          try {
            const res = await client.upsert(
              collection,
              batch.map((b) => b.point),
              { writeConcern: o.writeConcern },
            );
            logIndex = res.logIndex;
          } catch (err) {
            const first = batch[0]!.line;
            const last = batch[batch.length - 1]!.line;
            progress.finish(done);
            // gRPC's own size error says nothing of the batch; say which knob to turn.
            const tooLarge =
              err instanceof RaftvecClientError &&
              err.code === 'RESOURCE_EXHAUSTED' &&
              /message.*larger than/i.test(err.message);
            process.stderr.write(
              `raftvec: the batch of lines ${first}-${last} failed; ${done} points before it were written` +
                (tooLarge
                  ? `; the batch of ${batch.length} points is larger than a message may be: lower --batch\n`
                  : '\n'),
            );
            throw err;
          }
          requests++;
          done += batch.length;
          progress.update(done);
        }
        progress.finish(done);
        printJson({ collection, upserted: done, requests, logIndex });
      }),
    );

  program
    .command('get')
    .description('get points by id (only those that exist are printed)')
    .argument('<collection>', 'collection name')
    .argument('<ids...>', 'point ids')
    .option('--no-vector', 'leave vectors out')
    .option('--no-metadata', 'leave metadata out')
    .option(
      '--metadata-keys <keys>',
      'only these metadata keys, comma-separated dotted paths (e.g. source,author.name)',
      commaList('--metadata-keys'),
    );
  withReadFlags(program.commands.at(-1)!).action(
    withClient(async (client, cmd, collection: string, ids: string[]) => {
      const o = cmd.opts<
        { vector: boolean; metadata: boolean; metadataKeys?: string[] } & ReadFlags
      >();
      const points = await client.get(collection, ids, {
        withVector: o.vector,
        ...metadataFlags(o),
        ...readOptionsOf(o),
      });
      printJson(points.map(pointJson));
    }),
  );

  program
    .command('search')
    .description('nearest neighbours of a vector, or of a stored point (--by-point)')
    .argument('<collection>', 'collection name')
    .option('--vector <json>', "query vector, e.g. '[0.1,0.2,0.3]'", parseVector)
    .option(
      '--by-point <id>',
      "search by this stored point's vector instead of --vector (the point is left out of the hits)",
    )
    .option('-k, --k <n>', 'number of neighbours', positiveInt('-k'), 10)
    .option(
      '--filter <json>',
      'metadata filter: \'{"source":"docA"}\' or \'{"must":[{"key":"year","range":{"gte":2020}}],"mustNot":[...]}\' (docs/filters.md)',
      parseFilter,
    )
    .option(
      '--score-threshold <n>',
      'leave out hits beyond this score: for l2 farther than it (a squared distance), for ip and cosine less similar',
      finiteNumber('--score-threshold'),
    )
    .option('--with-vector', 'include vectors in the hits', false)
    .option('--no-metadata', 'leave metadata out')
    .option(
      '--metadata-keys <keys>',
      'only these metadata keys, comma-separated dotted paths (e.g. source,author.name)',
      commaList('--metadata-keys'),
    )
    .option('--ef-search <n>', 'HNSW search depth', positiveInt('--ef-search'))
    .option('--nprobe <n>', 'IVF cells to probe', positiveInt('--nprobe'));
  withReadFlags(program.commands.at(-1)!).action(
    withClient(async (client, cmd, collection: string) => {
      const o = cmd.opts<
        ReadFlags & {
          vector?: number[];
          byPoint?: string;
          k: number;
          filter?: Filter;
          scoreThreshold?: number;
          withVector: boolean;
          metadata: boolean;
          metadataKeys?: string[];
          efSearch?: number;
          nprobe?: number;
        }
      >();
      if ((o.vector === undefined) === (o.byPoint === undefined))
        throw new UsageError(
          "search: give the query as --vector '[0.1,0.2,0.3]' or as --by-point ID (one of them)",
        );
      const query: SearchQueryInput = o.vector ?? { pointId: o.byPoint! };
      const hits = await client.search(collection, query, {
        k: o.k,
        withVector: o.withVector,
        ...metadataFlags(o),
        ...(o.filter && { filter: o.filter }),
        ...(o.scoreThreshold !== undefined && { scoreThreshold: o.scoreThreshold }),
        ...(o.efSearch !== undefined && { efSearch: o.efSearch }),
        ...(o.nprobe !== undefined && { nprobe: o.nprobe }),
        ...readOptionsOf(o),
      });
      printJson(hits.map(hitJson));
    }),
  );

  program
    .command('delete')
    .description(
      'delete points by id (ids that do not exist are ignored), or every point matching --filter',
    )
    .argument('<collection>', 'collection name')
    .argument('[ids...]', 'point ids (or --filter)')
    .option(
      '--filter <json>',
      'delete every point matching this filter, atomically (see search --help; at most 100,000 points)',
      parseFilter,
    )
    .addOption(writeConcernOption())
    .action(
      withClient(async (client, cmd, collection: string, ids: string[]) => {
        const o = cmd.opts<{ filter?: Filter; writeConcern: 'majority' | 'all' }>();
        if (ids.length > 0 && o.filter !== undefined)
          throw new UsageError('delete: give point ids or --filter, not both');
        if (ids.length === 0 && o.filter === undefined)
          throw new UsageError(
            'delete: give the ids of the points to delete, or --filter to delete every match',
          );
        const points: PointSelection = o.filter !== undefined ? { filter: o.filter } : ids;
        printJson(await client.delete(collection, points, { writeConcern: o.writeConcern }));
      }),
    );

  /** set-payload and overwrite-payload: the same options, another call. */
  const payloadCommand = (name: string, description: string, overwrite: boolean): void => {
    program
      .command(name)
      .description(description)
      .argument('<collection>', 'collection name')
      .addOption(idsOption())
      .addOption(filterSelectionOption())
      .requiredOption('--payload <json>', 'the metadata, a JSON object', parsePayload)
      .addOption(writeConcernOption())
      .addHelpText(
        'after',
        '\nAll or nothing: if an id does not exist (NOT_FOUND) or the metadata of one point would\n' +
          'become invalid (INVALID_ARGUMENT), no point changes. Prints {"updated": N, "logIndex": I}.',
      )
      .action(
        withClient(async (client, cmd, collection: string) => {
          const o = cmd.opts<{
            ids?: string[];
            filter?: Filter;
            payload: PointMetadata;
            writeConcern: 'majority' | 'all';
          }>();
          const points = selectionOf(name, o);
          const opts = { writeConcern: o.writeConcern };
          printJson(
            overwrite
              ? await client.overwritePayload(collection, points, o.payload, opts)
              : await client.setPayload(collection, points, o.payload, opts),
          );
        }),
      );
  };
  payloadCommand(
    'set-payload',
    'set top-level metadata keys of points (by --ids or --filter), keeping their other keys; vectors stay',
    false,
  );
  payloadCommand(
    'overwrite-payload',
    'replace the whole metadata of points (by --ids or --filter); vectors stay',
    true,
  );

  program
    .command('delete-payload-keys')
    .description('remove metadata keys (dotted paths) from points, by --ids or --filter')
    .argument('<collection>', 'collection name')
    .addOption(idsOption())
    .addOption(filterSelectionOption())
    .requiredOption(
      '--keys <keys>',
      'the keys to remove, comma-separated dotted paths (e.g. draft,author.email)',
      commaList('--keys'),
    )
    .addOption(writeConcernOption())
    .action(
      withClient(async (client, cmd, collection: string) => {
        const o = cmd.opts<{
          ids?: string[];
          filter?: Filter;
          keys: string[];
          writeConcern: 'majority' | 'all';
        }>();
        const points = selectionOf('delete-payload-keys', o);
        printJson(
          await client.deletePayloadKeys(collection, points, o.keys, {
            writeConcern: o.writeConcern,
          }),
        );
      }),
    );

  program
    .command('update-batch')
    .description(
      'several writes to one collection, applied in order as one: all of them or none (docs/filters.md, "Batches")',
    )
    .argument('<collection>', 'collection name')
    .option('--file <ops.jsonl>', 'one operation per line, as JSON; - reads stdin')
    .option('--ops <json>', 'or the operations as a JSON array')
    .addOption(writeConcernOption())
    .addHelpText(
      'after',
      '\nAn operation is an object with one of these keys:\n' +
        '  {"upsert":[{"id":"a","vector":[0.1,0.2],"metadata":{"n":1}}]}\n' +
        '  {"delete":["b","c"]}  or  {"delete":{"filter":{"must":[{"key":"n","equals":1}]}}}\n' +
        '  {"setPayload":{"points":["a"],"payload":{"seen":true}}}\n' +
        '  {"overwritePayload":{"points":{"filter":{...}},"payload":{}}}\n' +
        '  {"deletePayloadKeys":{"points":["a"],"keys":["draft"]}}\n' +
        'Each sees the ones before it; the first one refused refuses the whole batch (the message\n' +
        'starts "operation <i>:"). At most 256 operations and 10,000 upserted points.\n' +
        'Prints {"results": [{"upserted","deleted","updated"} per operation], "logIndex": I}.',
    )
    .action(
      withClient(async (client, cmd, collection: string) => {
        const o = cmd.opts<{ file?: string; ops?: string; writeConcern: 'majority' | 'all' }>();
        const { operations, sources } = batchOperationsOf(o);
        try {
          printJson(
            await client.updateBatch(collection, operations, { writeConcern: o.writeConcern }),
          );
        } catch (err) {
          // The server names the operation by its index: say where it came from.
          const i = /^operation (\d+): /.exec(err instanceof Error ? err.message : '')?.[1];
          const source = i === undefined ? undefined : sources[Number(i)];
          if (source !== undefined && o.file !== undefined)
            process.stderr.write(`raftvec: operation ${i} is ${source}\n`);
          throw err;
        }
      }),
    );

  program
    .command('create-payload-index')
    .description(
      'index the values at a metadata key, so that filters on it need not read every point',
    )
    .argument('<collection>', 'collection name')
    .argument('<key>', 'metadata key, a dotted path (e.g. author.name)')
    .addArgument(
      new Argument(
        '<type>',
        'keyword (strings: equals, in), integer or float (numbers: equals, in, range), bool (equals, in), datetime (RFC 3339 strings: datetimeRange)',
      ).choices(PAYLOAD_INDEX_TYPES),
    )
    .addOption(writeConcernOption())
    .action(
      withClient(async (client, cmd, collection: string, key: string, type: string) => {
        const o = cmd.opts<{ writeConcern: 'majority' | 'all' }>();
        printJson(
          await client.createPayloadIndex(
            collection,
            key,
            type as (typeof PAYLOAD_INDEX_TYPES)[number],
            { writeConcern: o.writeConcern },
          ),
        );
      }),
    );

  program
    .command('drop-payload-index')
    .description('drop the payload index on a metadata key')
    .argument('<collection>', 'collection name')
    .argument('<key>', 'metadata key')
    .addOption(writeConcernOption())
    .action(
      withClient(async (client, cmd, collection: string, key: string) => {
        const o = cmd.opts<{ writeConcern: 'majority' | 'all' }>();
        printJson(await client.dropPayloadIndex(collection, key, { writeConcern: o.writeConcern }));
      }),
    );

  program
    .command('count')
    .description('count points, optionally matching a filter')
    .argument('<collection>', 'collection name')
    .option('--filter <json>', 'metadata filter (see search --help)', parseFilter);
  withReadFlags(program.commands.at(-1)!).action(
    withClient(async (client, cmd, collection: string) => {
      const o = cmd.opts<{ filter?: Filter } & ReadFlags>();
      printJson({
        count: await client.count(collection, {
          ...(o.filter && { filter: o.filter }),
          ...readOptionsOf(o),
        }),
      });
    }),
  );

  program
    .command('scroll')
    .description('page through points in id order')
    .argument('<collection>', 'collection name')
    .option('--after <id>', 'start after this id')
    .option('--limit <n>', 'page size', positiveInt('--limit'), 100)
    .option('--filter <json>', 'metadata filter (see search --help)', parseFilter)
    .option('--no-vector', 'leave vectors out')
    .option('--no-metadata', 'leave metadata out')
    .option(
      '--metadata-keys <keys>',
      'only these metadata keys, comma-separated dotted paths (e.g. source,author.name)',
      commaList('--metadata-keys'),
    );
  withReadFlags(program.commands.at(-1)!).action(
    withClient(async (client, cmd, collection: string) => {
      const o = cmd.opts<
        ReadFlags & {
          after?: string;
          limit: number;
          filter?: Filter;
          vector: boolean;
          metadata: boolean;
          metadataKeys?: string[];
        }
      >();
      const page = await client.scroll(collection, {
        limit: o.limit,
        withVector: o.vector,
        ...metadataFlags(o),
        ...(o.after !== undefined && { afterId: o.after }),
        ...(o.filter && { filter: o.filter }),
        ...readOptionsOf(o),
      });
      printJson({ points: page.points.map(pointJson), nextAfterId: page.nextAfterId ?? null });
    }),
  );

  for (const cmd of program.commands)
    cmd.exitOverride().configureOutput({ outputError: (str, write) => write(str) });
  return program;
}

function reportError(err: unknown): number {
  if (err instanceof RaftvecClientError) {
    process.stderr.write(`raftvec: ${err.code}: ${err.message}\n`);
    for (const [k, v] of Object.entries(err.details)) process.stderr.write(`  ${k}: ${v}\n`);
    return 1;
  }
  if (err instanceof JsonlError) {
    process.stderr.write(`raftvec: INVALID_ARGUMENT: ${err.message}\n`);
    return 1;
  }
  if (err instanceof RaftvecError) {
    process.stderr.write(`raftvec: ${err.code}: ${err.message}\n`);
    return 1;
  }
  if (err instanceof CliError) {
    process.stderr.write(`raftvec: ${err.message}\n`);
    return 1;
  }
  if (err instanceof UsageError) {
    process.stderr.write(`raftvec: ${err.message}\n`);
    return 2;
  }
  process.stderr.write(
    `raftvec: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`,
  );
  return 1;
}

/** Runs the CLI with `argv` (as process.argv: node, script, args…); resolves the exit code. */
export async function run(argv: readonly string[]): Promise<number> {
  const program = buildProgram();
  try {
    await program.parseAsync([...argv]);
    return typeof process.exitCode === 'number' ? process.exitCode : 0;
  } catch (err) {
    if (err instanceof CommanderError) return err.exitCode === 0 ? 0 : 2;
    return reportError(err);
  }
}

/**
 * Compares the replicas' applied-entry digests: at each node's own applied index,
 * and at the lowest applied index among them (asked again of every node, which
 * remembers its recent digests), so that nodes applying at different speeds are
 * still compared. Returns the divergences found.
 */
async function compareDigests(
  nodes: ReadonlyArray<Partial<NodeStatus> & { address: string }>,
  timeoutMs: number,
  apiKey: string | undefined,
  credentials: ChannelCredentials,
): Promise<string[]> {
  const running = nodes.filter((n) => n.phase === 'running' && n.appliedDigest);
  const samples: DigestSample[] = running.map((n) => ({
    id: `${n.id ?? '?'} at ${n.address}`,
    index: Number(n.appliedDigest!.index),
    digest: n.appliedDigest!.digest,
  }));
  const lowest = Math.min(...samples.map((s) => s.index));
  if (samples.length > 1 && samples.some((s) => s.index !== lowest) && lowest > 0) {
    await Promise.all(
      running.map(async (n) => {
        const client = new ClusterStatusClient(n.address, { apiKey, credentials });
        try {
          const again = await client.status(timeoutMs, lowest);
          if (again.digestAt)
            samples.push({
              id: `${n.id ?? '?'} at ${n.address}`,
              index: Number(again.digestAt.index),
              digest: again.digestAt.digest,
            });
        } catch {
          // Unreachable now: compared at its own applied index only.
        } finally {
          client.close();
        }
      }),
    );
  }
  return digestMismatches(samples);
}
