/**
 * TLS for a node's port: the certificate it presents (`--tls-cert --tls-key`) and
 * mutual TLS between the nodes (`--peer-ca --peer-cert --peer-key`).
 *
 * One port serves clients and peers alike. With mutual TLS on, the port asks every
 * caller for a certificate but does not insist (clients need none); a peer call —
 * Raft messages, snapshots, and admin or status calls made with a node's peer key —
 * is accepted only over a connection whose certificate the peer CA signed and whose
 * subject CN is the node id the call claims (peer-transport.ts `authenticatePeer`).
 * Nodes dial each other presenting their peer certificate and check the other's
 * certificate against the peer CA.
 *
 * The files are read again on SIGHUP and when they change on disk; new connections
 * use the new certificates, and a bad new set is refused (the old one stays) with a
 * line in the log.
 */
import { X509Certificate, createPrivateKey } from 'node:crypto';
import { readFileSync, unwatchFile, watchFile, type StatWatcher } from 'node:fs';
import type { SecureContextOptions } from 'node:tls';
import * as grpc from '@grpc/grpc-js';
import type { Logger } from './status.js';
import { logAt } from './node-log.js';

/** A certificate (chain) and its private key, as PEM files. */
export interface CertificateFiles {
  certFile: string;
  keyFile: string;
}

/** Mutual TLS between nodes: the CA that signs every node's certificate, and this node's. */
export interface PeerTlsFiles extends CertificateFiles {
  caFile: string;
}

export interface NodeTlsOptions {
  /** The certificate the port presents; absent with `peer`: the peer certificate. */
  server?: CertificateFiles;
  /** Mutual TLS between nodes; required for TLS in a cluster of more than one node. */
  peer?: PeerTlsFiles;
}

/** TLS files that cannot be used: says which file and what is wrong with it. */
export class TlsConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'TlsConfigError';
  }
}

interface LoadedIdentity {
  cert: Buffer;
  key: Buffer;
  /** When the leaf certificate expires (for the log). */
  validTo: string;
}

interface LoadedTls {
  server: LoadedIdentity;
  peer?: LoadedIdentity & { ca: Buffer };
}

/** How often the files are checked for changes (fs.watchFile polls: rename-safe). */
const WATCH_INTERVAL_MS = 2_000;

function readPem(flag: string, path: string): Buffer {
  try {
    return readFileSync(path);
  } catch (err) {
    throw new TlsConfigError(`${flag} ${path}: cannot read it (${(err as Error).message})`);
  }
}

/** The certificate and key of `files`, checked to parse, to match and to be in date. */
function loadIdentity(flags: [string, string], files: CertificateFiles): LoadedIdentity {
  const cert = readPem(flags[0], files.certFile);
  const key = readPem(flags[1], files.keyFile);
  let leaf: X509Certificate;
  try {
    leaf = new X509Certificate(cert);
  } catch (err) {
    throw new TlsConfigError(
      `${flags[0]} ${files.certFile}: not a PEM certificate (${(err as Error).message})`,
    );
  }
  let privateKey;
  try {
    privateKey = createPrivateKey(key);
  } catch (err) {
    throw new TlsConfigError(
      `${flags[1]} ${files.keyFile}: not a PEM private key (${(err as Error).message})`,
    );
  }
  if (!leaf.checkPrivateKey(privateKey))
    throw new TlsConfigError(
      `${flags[1]} ${files.keyFile} is not the key of the certificate in ${files.certFile}`,
    );
  const now = Date.now();
  if (Date.parse(leaf.validTo) < now)
    throw new TlsConfigError(`${flags[0]} ${files.certFile} expired on ${leaf.validTo}`);
  if (Date.parse(leaf.validFrom) > now)
    throw new TlsConfigError(`${flags[0]} ${files.certFile} is not valid before ${leaf.validFrom}`);
  return { cert, key, validTo: leaf.validTo };
}

/** The subject CN of a certificate (X509Certificate.subject, one field a line), or undefined. */
function commonName(subject: string): string | undefined {
  for (const line of subject.split('\n')) if (line.startsWith('CN=')) return line.slice(3);
  return undefined;
}

/** Every certificate of a PEM file (a bundle, or a certificate followed by its chain). */
function certificatesOf(flag: string, path: string, pem: Buffer): X509Certificate[] {
  const blocks = pem
    .toString('latin1')
    .match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g);
  if (blocks === null) throw new TlsConfigError(`${flag} ${path}: holds no PEM certificate`);
  return blocks.map((block) => {
    try {
      return new X509Certificate(block);
    } catch (err) {
      throw new TlsConfigError(
        `${flag} ${path}: not a PEM certificate (${(err as Error).message})`,
      );
    }
  });
}

/** Whether `issuer` signed `cert`. */
const signedBy = (cert: X509Certificate, issuer: X509Certificate): boolean =>
  cert.checkIssued(issuer) && cert.verify(issuer.publicKey);

/**
 * Whether the first certificate of `chain` leads to one of `cas`, through the
 * intermediates that follow it in its file (as TLS checks it).
 */
function chainsTo(chain: readonly X509Certificate[], cas: readonly X509Certificate[]): boolean {
  let current = chain[0]!;
  for (let step = 0; step <= chain.length; step++) {
    if (cas.some((ca) => signedBy(current, ca))) return true;
    const next = chain.find((c) => c !== current && signedBy(current, c));
    if (next === undefined) return false;
    current = next;
  }
  return false;
}

function load(options: NodeTlsOptions, nodeId: string): LoadedTls {
  let peer: LoadedTls['peer'];
  if (options.peer !== undefined) {
    const ca = readPem('--peer-ca', options.peer.caFile);
    const cas = certificatesOf('--peer-ca', options.peer.caFile, ca);
    const identity = loadIdentity(['--peer-cert', '--peer-key'], options.peer);
    const chain = certificatesOf('--peer-cert', options.peer.certFile, identity.cert);
    const cn = commonName(chain[0]!.subject);
    if (cn !== nodeId)
      throw new TlsConfigError(
        `--peer-cert ${options.peer.certFile} names ${cn === undefined ? 'no CN' : `CN=${cn}`}; a node's peer certificate must name its node id (CN=${nodeId}), which the other nodes check`,
      );
    if (!chainsTo(chain, cas))
      throw new TlsConfigError(
        `--peer-cert ${options.peer.certFile} is not signed by the CA in --peer-ca ${options.peer.caFile}`,
      );
    peer = { ...identity, ca };
    if (options.server !== undefined) {
      // The other nodes check this port's certificate against their --peer-ca.
      const server = readPem('--tls-cert', options.server.certFile);
      if (!chainsTo(certificatesOf('--tls-cert', options.server.certFile, server), cas))
        throw new TlsConfigError(
          `--tls-cert ${options.server.certFile} is not signed by a CA in --peer-ca ${options.peer.caFile}, against which the other nodes check this port: add its issuer to the --peer-ca bundle`,
        );
    }
  }
  const server =
    options.server !== undefined ? loadIdentity(['--tls-cert', '--tls-key'], options.server) : peer;
  if (server === undefined)
    throw new TlsConfigError('TLS needs --tls-cert and --tls-key, or the --peer-* files');
  return { server, ...(peer && { peer }) };
}

function contextOf(loaded: LoadedTls): SecureContextOptions {
  return {
    cert: loaded.server.cert,
    key: loaded.server.key,
    // Client certificates are checked against the peer CA only (clients need none).
    ...(loaded.peer && { ca: loaded.peer.ca }),
  };
}

/**
 * grpc-js server credentials whose certificates can be replaced while the server
 * runs (grpc-js re-keys its listening TLS servers through the watcher it registers).
 */
class ReloadableServerCredentials extends grpc.ServerCredentials {
  constructor(
    context: SecureContextOptions,
    askClientCertificate: boolean,
    handshakeTimeoutMs: number,
  ) {
    super(
      {
        // Asked, not required: clients have no certificate; peer calls are refused later
        // (authenticatePeer) unless theirs verified against the peer CA.
        requestCert: askClientCertificate,
        rejectUnauthorized: false,
        // The TLS handshake, once the gate has handed the socket over, is bounded too.
        handshakeTimeout: handshakeTimeoutMs,
      },
      context,
    );
  }

  replace(context: SecureContextOptions): void {
    this.updateSecureContextOptions(context);
  }

  _equals(other: grpc.ServerCredentials): boolean {
    return other === this;
  }
}

/** A node's TLS: the credentials of its port and of its connections to the other nodes. */
export class NodeTls {
  readonly serverCredentials: grpc.ServerCredentials;
  /** Whether peer calls must come with a peer certificate naming their node. */
  readonly mutual: boolean;
  #loaded: LoadedTls;
  #peerCredentials: grpc.ChannelCredentials | undefined;
  readonly #reloaded = new Set<() => void>();

  private constructor(
    private readonly options: NodeTlsOptions,
    private readonly nodeId: string,
    private readonly log: Logger,
    handshakeTimeoutMs: number,
  ) {
    this.#loaded = load(options, nodeId);
    this.mutual = options.peer !== undefined;
    this.serverCredentials = new ReloadableServerCredentials(
      contextOf(this.#loaded),
      this.mutual,
      handshakeTimeoutMs,
    );
  }

  /**
   * Reads and checks the files; throws TlsConfigError naming the file at fault.
   * `handshakeTimeoutMs` bounds each TLS handshake (ConnectionLimits).
   */
  static load(
    options: NodeTlsOptions,
    nodeId: string,
    log: Logger,
    handshakeTimeoutMs: number,
  ): NodeTls {
    return new NodeTls(options, nodeId, log, handshakeTimeoutMs);
  }

  /** When the certificates presented expire, for the start-up log line. */
  describe(): string {
    const peer = this.#loaded.peer;
    return `TLS on (certificate valid to ${this.#loaded.server.validTo})${peer ? `; mutual TLS between nodes (peer certificate valid to ${peer.validTo})` : ''}`;
  }

  /**
   * What this node presents to, and trusts in, the other nodes: its peer certificate
   * and the peer CA with mutual TLS; otherwise none (a cluster of one).
   */
  peerChannelCredentials(): grpc.ChannelCredentials {
    const peer = this.#loaded.peer;
    if (peer === undefined) return grpc.credentials.createInsecure();
    this.#peerCredentials ??= grpc.credentials.createSsl(peer.ca, peer.key, peer.cert);
    return this.#peerCredentials;
  }

  /** Called after each successful reload (the peer transport reconnects with the new files). */
  onReload(listener: () => void): void {
    this.#reloaded.add(listener);
  }

  /**
   * Reads the files again. A good set replaces the old one for new connections; a bad
   * one is logged and the old set stays. Returns whether it replaced them.
   */
  reload(reason: string): boolean {
    let next: LoadedTls;
    try {
      next = load(this.options, this.nodeId);
    } catch (err) {
      logAt(
        this.log,
        'warn',
        `${this.nodeId}: kept the current TLS certificates (${reason}): ${(err as Error).message}`,
      );
      return false;
    }
    const same =
      next.server.cert.equals(this.#loaded.server.cert) &&
      next.server.key.equals(this.#loaded.server.key) &&
      (next.peer?.ca.equals(this.#loaded.peer?.ca ?? Buffer.alloc(0)) ?? true) &&
      (next.peer?.cert.equals(this.#loaded.peer?.cert ?? Buffer.alloc(0)) ?? true);
    if (same) return false;
    this.#loaded = next;
    this.#peerCredentials = undefined;
    (this.serverCredentials as ReloadableServerCredentials).replace(contextOf(next));
    this.log(`${this.nodeId}: reloaded the TLS certificates (${reason}); ${this.describe()}`);
    for (const listener of this.#reloaded) listener();
    return true;
  }

  /** Reloads on SIGHUP and when a file changes; returns what stops watching. */
  watch(): () => void {
    const onHangup = (): void => void this.reload('SIGHUP');
    process.on('SIGHUP', onHangup);
    const files = [
      this.options.server?.certFile,
      this.options.server?.keyFile,
      this.options.peer?.caFile,
      this.options.peer?.certFile,
      this.options.peer?.keyFile,
    ].filter((f): f is string => f !== undefined);
    const watchers: [string, (curr: unknown, prev: unknown) => void][] = [];
    for (const file of new Set(files)) {
      const listener = (): void => void this.reload(`${file} changed`);
      const watcher: StatWatcher = watchFile(
        file,
        { interval: WATCH_INTERVAL_MS, persistent: false },
        listener,
      );
      watcher.unref();
      watchers.push([file, listener]);
    }
    return () => {
      process.off('SIGHUP', onHangup);
      for (const [file, listener] of watchers) unwatchFile(file, listener);
    };
  }
}
