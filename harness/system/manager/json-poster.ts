import http from 'node:http';

export interface PostAnswer {
  status: number;
  body: string;
  /** Client round trip, ms. */
  ms: number;
}

/**
 * POSTs JSON bodies over a keep-alive pool of node:http, the way an agent does (lighter per
 * request than fetch, which matters when the client shares the machine with the manager it loads).
 */
export class JsonPoster {
  private readonly agent: http.Agent;

  constructor(
    private readonly baseUrl: string,
    private readonly token: string,
    maxSockets: number,
  ) {
    this.agent = new http.Agent({ keepAlive: true, maxSockets });
  }

  post(path: string, body: string, timeoutMs = 5000): Promise<PostAnswer> {
    const started = performance.now();
    return new Promise((resolve, reject) => {
      const req = http.request(
        new URL(path, this.baseUrl),
        {
          method: 'POST',
          agent: this.agent,
          headers: { authorization: `Bearer ${this.token}`, 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) },
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8'), ms: performance.now() - started }));
          res.on('error', reject);
        },
      );
      req.setTimeout(timeoutMs, () => req.destroy(new Error(`POST ${path}: no answer after ${timeoutMs} ms`)));
      req.on('error', reject);
      req.end(body);
    });
  }

  close(): void {
    this.agent.destroy();
  }
}
