/**
 * The node's log: structured JSON lines with pino, one object per line on stderr:
 *
 *   {"level":"info","time":"2026-12-01T02:03:04.567Z","pid":1,"hostname":"h",
 *    "nodeId":"n1","term":3,"role":"leader","msg":"n1 became leader in term 3"}
 *
 * Every line carries the node id and, once startNode has attached the Raft runtime
 * (`attach`), its current term and role; before that, role is "starting" and there
 * is no term. When stderr is a terminal and the optional dev dependency pino-pretty
 * is installed, the lines are pretty-printed instead; without it they stay JSON.
 *
 * Secrets stay out: fields named like keys, secrets or vectors are censored (pino
 * `redact`), and the secrets the node knows (the cluster secret) are cut out of
 * messages and error texts.
 */
import { hostname } from 'node:os';
import { createRequire } from 'node:module';
import { pino, type DestinationStream, type Logger as PinoLogger } from 'pino';
import type { LogLevel, Logger } from './status.js';

export type { LogLevel, Logger } from './status.js';

/** What --log-level accepts: a level, or `silent` for no log at all. */
export const LOG_LEVELS = ['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'] as const;
export type LogLevelSetting = (typeof LOG_LEVELS)[number];

/** The live Raft state each line carries. */
export interface RaftLogContext {
  term: number;
  role: string;
}

/** The structured logger: a Logger whose `at` and `attach` are always there. */
export interface NodeLog extends Logger {
  at: (level: LogLevel, message: string, err?: unknown) => void;
  attach: (source: () => RaftLogContext) => void;
  /** True when lines go out through pino-pretty rather than as JSON. */
  readonly pretty: boolean;
  /** The pino logger underneath, for structured fields (they are redacted too). */
  readonly pino: PinoLogger;
}

export interface NodeLogOptions {
  nodeId: string;
  /** Default `info`. */
  level?: LogLevelSetting;
  /** Where lines go; default stderr, written synchronously (nothing lost on exit). */
  destination?: DestinationStream;
  /** Pretty-print with pino-pretty; default: when stderr is a TTY and no destination is given. Falls back to JSON when pino-pretty is not installed. */
  pretty?: boolean;
  /** Strings never to print (e.g. the cluster secret): replaced in messages and error texts. */
  secrets?: ReadonlyArray<string | undefined>;
  /** The pretty-printer's module; for tests of the fallback. */
  prettyModule?: string;
}

/** Field names censored wherever they appear (top level, or one level down as in `err.apiKey`). */
export const REDACTED_FIELDS = [
  'apiKey',
  'apiKeys',
  'api_key',
  'api-key',
  'key',
  'secret',
  'clusterSecret',
  'password',
  'token',
  'authorization',
  'x-raftvec-peer-key',
  'x-raftvec-cluster-secret',
  'vector',
  'vectors',
  'values',
  'payload',
  'payloads',
] as const;

const CENSOR = '[redacted]';

/** pino `redact` paths for REDACTED_FIELDS: each at the top level and one level down. */
const REDACT_PATHS = REDACTED_FIELDS.flatMap((f) =>
  /^[A-Za-z_$][\w$]*$/.test(f) ? [f, `*.${f}`] : [`["${f}"]`, `*["${f}"]`],
);

const FATAL = /^FATAL\b/;
/** Lines that report a problem without an error object: warnings, refusals, failures. */
const PROBLEM =
  /^(?:\S+: )?warning\b|UNSAFE TEST FLAGS|NOT_SERVING|\b(?:refused|rejected|dropped|cannot|could not|failed|disagrees|stays a learner|without handing)\b/;

/** The level of a plain `log(message, err?)` call. */
export function levelOf(message: string, err?: unknown): LogLevel {
  if (FATAL.test(message)) return 'fatal';
  if (err !== undefined) return 'error';
  return PROBLEM.test(message) ? 'warn' : 'info';
}

/** Logs at `level` with any Logger: its `at` when it has one, else the plain call. */
export function logAt(log: Logger, level: LogLevel, message: string, err?: unknown): void {
  if (log.at) log.at(level, message, err);
  else log(message, err);
}

export function createNodeLog(options: NodeLogOptions): NodeLog {
  const secrets = (options.secrets ?? []).filter(
    (s): s is string => typeof s === 'string' && s.length >= 4,
  );
  const scrub = (text: string): string =>
    secrets.reduce((t, s) => (t.includes(s) ? t.split(s).join(CENSOR) : t), text);

  let source: (() => RaftLogContext) | undefined;
  const raftContext = (): Partial<RaftLogContext> => {
    if (source === undefined) return { role: 'starting' };
    try {
      const { term, role } = source();
      return { term, role };
    } catch {
      return { role: 'unknown' };
    }
  };

  const wantPretty =
    options.pretty ?? (options.destination === undefined && process.stderr.isTTY === true);
  const prettyOut = wantPretty
    ? prettyStream(options.prettyModule ?? 'pino-pretty', options.nodeId, options.destination)
    : undefined;
  const destination = prettyOut ?? options.destination ?? pino.destination({ dest: 2, sync: true });

  const logger = pino(
    {
      level: options.level ?? 'info',
      base: { pid: process.pid, hostname: hostname(), nodeId: options.nodeId },
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
      mixin: raftContext,
      serializers: { err: (err: unknown) => errorField(err, scrub) },
      redact: { paths: REDACT_PATHS, censor: CENSOR },
    },
    destination,
  );

  const at = (level: LogLevel, message: string, err?: unknown): void => {
    if (!logger.isLevelEnabled(level)) return;
    if (err === undefined) logger[level](scrub(message));
    else logger[level]({ err }, scrub(message));
  };
  return Object.assign(
    (message: string, err?: unknown): void => at(levelOf(message, err), message, err),
    {
      at,
      attach: (raft: () => RaftLogContext): void => {
        source = raft;
      },
      pretty: prettyOut !== undefined,
      pino: logger,
    },
  );
}

/** An error as pino's serializer shows it (type, message, stack, own fields), scrubbed. */
function errorField(err: unknown, scrub: (text: string) => string): unknown {
  if (!(err instanceof Error)) return scrub(String(err));
  const s = pino.stdSerializers.err(err);
  return { ...s, message: scrub(s.message), stack: scrub(s.stack) };
}

const requireOptional = createRequire(import.meta.url);

/** A pino-pretty stream, or undefined when the module is not installed. */
function prettyStream(
  moduleName: string,
  nodeId: string,
  destination: DestinationStream | undefined,
): DestinationStream | undefined {
  let build: (options: Record<string, unknown>) => DestinationStream;
  try {
    build = requireOptional(moduleName) as typeof build;
  } catch {
    return undefined;
  }
  // Messages often start with the node id already: shown once, with role and term.
  const ownPrefix = new RegExp(`^${nodeId.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:? `);
  return build({
    destination: destination ?? 2,
    sync: true,
    translateTime: 'SYS:HH:MM:ss.l',
    ignore: 'pid,hostname,nodeId,term,role',
    messageFormat: (line: Record<string, unknown>, messageKey: string) => {
      const term = typeof line['term'] === 'number' ? ` t${line['term']}` : '';
      const msg = String(line[messageKey] ?? '').replace(ownPrefix, '');
      return `${String(line['nodeId'])} ${String(line['role'])}${term}: ${msg}`;
    },
  });
}
