import http from 'node:http';
import https from 'node:https';

export interface PostResponse {
  status: number;
  body: string;
}

/** Thrown for transport problems: refused, reset, timeout. Carries the measured duration. */
export class PostError extends Error {
  constructor(
    message: string,
    readonly timedOut: boolean,
  ) {
    super(message);
    this.name = 'PostError';
  }
}

/**
 * POSTs small JSON bodies to one base URL with a bearer token over keep-alive connections, so an
 * alert normally goes out on an already open socket (no TCP handshake on the critical path).
 */
export class HttpPoster {
  private readonly base: URL;
  private readonly agent: http.Agent;
  private readonly request: typeof http.request;

  constructor(
    baseUrl: string,
    private readonly token: string,
  ) {
    this.base = new URL(baseUrl);
    const secure = this.base.protocol === 'https:';
    const options = { keepAlive: true, keepAliveMsecs: 1000, maxFreeSockets: 4 };
    this.agent = secure ? new https.Agent(options) : new http.Agent(options);
    this.request = secure ? https.request : http.request;
  }

  /** Resolves with any HTTP status; rejects with PostError when no complete answer came within timeoutMs. */
  post(path: string, json: string, timeoutMs: number): Promise<PostResponse> {
    return this.send('POST', path, json, timeoutMs);
  }

  /** A GET with the same token, pool and errors (the hand-off question, which the manager holds). */
  get(path: string, timeoutMs: number): Promise<PostResponse> {
    return this.send('GET', path, undefined, timeoutMs);
  }

  /**
   * A POST whose body the caller writes as it goes (chunked) and ends: the report stream. Same pool
   * and token; the caller handles the answer, errors and timeouts.
   */
  openStream(path: string, contentType: string): http.ClientRequest {
    return this.request(this.url(path), { method: 'POST', agent: this.agent, headers: { 'content-type': contentType, authorization: `Bearer ${this.token}` } });
  }

  /** `path` under the base URL, which may itself have a path. */
  url(path: string): URL {
    return new URL(path.replace(/^\//, ''), this.base.href.endsWith('/') ? this.base : `${this.base.href}/`);
  }

  private send(method: 'GET' | 'POST', path: string, json: string | undefined, timeoutMs: number): Promise<PostResponse> {
    const url = this.url(path);
    return new Promise((resolve, reject) => {
      const started = performance.now();
      const body = json === undefined ? {} : { 'content-type': 'application/json', 'content-length': Buffer.byteLength(json) };
      const req = this.request(url, {
        method,
        agent: this.agent,
        headers: { ...body, authorization: `Bearer ${this.token}` },
      });
      const timer = setTimeout(() => {
        req.destroy(new PostError(`no answer from ${url.href} within ${timeoutMs} ms`, true));
      }, timeoutMs);
      req.on('response', (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () => {
          clearTimeout(timer);
          resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') });
        });
        res.on('error', () => undefined); // reported through req's error (destroy)
      });
      req.on('error', (err) => {
        clearTimeout(timer);
        if (err instanceof PostError) reject(err);
        else {
          const ms = Math.round(performance.now() - started);
          reject(new PostError(`${url.href}: ${err.message} after ${ms} ms`, false));
        }
      });
      req.end(json);
    });
  }

  close(): void {
    this.agent.destroy();
  }
}
