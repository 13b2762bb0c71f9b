/**
 * TLS for clients: the channel credentials that reach a node run with `--tls-cert`.
 * With no `ca`, the system's root certificates are trusted; with a private CA (as
 * scripts/dev-certs.sh makes), pass its certificate. A client certificate is needed
 * only for cluster-secret admin calls to a cluster with mutual TLS (its CN names the
 * id the call claims, `raftvec-cli` for the CLI).
 */
import { readFileSync } from 'node:fs';
import * as grpc from '@grpc/grpc-js';

export interface ClientTlsOptions {
  /** PEM of the CA(s) to trust instead of the system's roots. */
  ca?: string | Buffer;
  /** PEM of a client certificate, with its key. */
  cert?: string | Buffer;
  key?: string | Buffer;
}

/** Plaintext for `undefined`/`false`, TLS for `true` (system roots) or the given options. */
export function channelCredentials(
  tls: boolean | ClientTlsOptions | undefined,
): grpc.ChannelCredentials {
  if (tls === undefined || tls === false) return grpc.credentials.createInsecure();
  const o = tls === true ? {} : tls;
  if ((o.cert === undefined) !== (o.key === undefined))
    throw new TypeError('raftvec client: a TLS client certificate needs its key (cert and key)');
  const pem = (v: string | Buffer | undefined): Buffer | null =>
    v === undefined ? null : Buffer.isBuffer(v) ? v : Buffer.from(v);
  return grpc.credentials.createSsl(pem(o.ca), pem(o.key), pem(o.cert));
}

/** Reads the PEM files of ClientTlsOptions (for the CLI's --tls-ca, --client-cert, --client-key). */
export function clientTlsFromFiles(files: {
  caFile?: string | undefined;
  certFile?: string | undefined;
  keyFile?: string | undefined;
}): ClientTlsOptions {
  const read = (flag: string, path: string | undefined): Buffer | undefined => {
    if (path === undefined) return undefined;
    try {
      return readFileSync(path);
    } catch (err) {
      throw new TypeError(`${flag} ${path}: cannot read it (${(err as Error).message})`, {
        cause: err,
      });
    }
  };
  const ca = read('--tls-ca', files.caFile);
  const cert = read('--client-cert', files.certFile);
  const key = read('--client-key', files.keyFile);
  return { ...(ca && { ca }), ...(cert && { cert }), ...(key && { key }) };
}
