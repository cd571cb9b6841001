// One HTTP(S) request on Node's own http/https modules, for systems that need TLS
// settings fetch cannot take (a custom CA, client certificates, skip-verify): the
// Kubernetes API server and metric stores. Bodies are read up to a limit.
import http from 'node:http';
import https from 'node:https';

export interface RawRequest {
  url: string;
  method: string;
  headers?: Record<string, string>;
  body?: string;
  /** TLS and auth material, merged into the request options (ca, cert, key, rejectUnauthorized, servername, headers). */
  options?: https.RequestOptions;
  agent?: http.Agent;
  timeoutMs: number;
  maxBodyBytes?: number;
  signal?: AbortSignal;
}

export interface RawResponse {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
}

export function rawRequest(req: RawRequest): Promise<RawResponse> {
  const url = new URL(req.url);
  const isHttps = url.protocol === 'https:';
  const headers: Record<string, string> = { ...(req.options?.headers as Record<string, string> | undefined), ...req.headers };
  // Node frames a body on GET/DELETE only when told its length; unframed, it poisons a kept-alive socket.
  if (req.body !== undefined) headers['content-length'] = String(Buffer.byteLength(req.body));
  const max = req.maxBodyBytes ?? 64 * 1024 * 1024;
  return new Promise<RawResponse>((resolve, reject) => {
    const r = (isHttps ? https : http).request(
      url,
      { ...req.options, method: req.method, headers, agent: req.agent, signal: req.signal, timeout: req.timeoutMs },
      (res) => {
        const chunks: Buffer[] = [];
        let size = 0;
        res.on('data', (c: Buffer) => {
          size += c.length;
          if (size > max) {
            res.destroy(new Error(`the response is larger than ${max} bytes`));
            return;
          }
          chunks.push(c);
        });
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }));
        res.on('error', reject);
      },
    );
    r.on('timeout', () => r.destroy(Object.assign(new Error(`no answer within ${req.timeoutMs / 1000}s`), { code: 'ETIMEDOUT' })));
    r.on('error', reject);
    r.end(req.body);
  });
}

/** A connection error as a few plain words: what failed and why. */
export function networkReason(e: unknown): string {
  const err = e as NodeJS.ErrnoException;
  const reasons: Record<string, string> = {
    ENOTFOUND: 'the host name does not resolve (DNS)',
    EAI_AGAIN: 'the host name could not be resolved right now (DNS)',
    ECONNREFUSED: 'the connection was refused (nothing listens there)',
    ECONNRESET: 'the connection was reset by the server',
    UND_ERR_SOCKET: 'the server closed the connection',
    EPIPE: 'the connection was closed',
    ETIMEDOUT: 'no answer in time',
    DEPTH_ZERO_SELF_SIGNED_CERT: 'the server certificate is self-signed (TLS; give its CA or skip verification)',
    SELF_SIGNED_CERT_IN_CHAIN: 'the certificate chain has a self-signed certificate (TLS; give its CA)',
    UNABLE_TO_VERIFY_LEAF_SIGNATURE: 'the server certificate cannot be verified (TLS; give its CA)',
    UNABLE_TO_GET_ISSUER_CERT_LOCALLY: 'the server certificate\'s issuer is unknown (TLS; give its CA)',
    CERT_HAS_EXPIRED: 'the server certificate has expired (TLS)',
    ERR_TLS_CERT_ALTNAME_INVALID: 'the certificate does not match the host name (TLS)',
    EPROTO: 'the TLS handshake failed (is it http rather than https?)',
  };
  return reasons[err.code ?? ''] ?? `${err.message}${err.code ? ` (${err.code})` : ''}`;
}
