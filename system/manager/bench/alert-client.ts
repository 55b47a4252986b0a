import http from 'node:http';

export interface AlertAnswer {
  status: number;
  reason: string;
  ms: number;
}

/**
 * POSTs alerts over a keep-alive pool of node:http (lighter per request than fetch, which matters
 * when the client shares two cores with the manager it measures).
 */
export class AlertClient {
  private readonly agent: http.Agent;
  private readonly url: URL;

  constructor(
    baseUrl: string,
    private readonly token: string,
    maxSockets: number,
  ) {
    this.url = new URL('/alert', baseUrl);
    this.agent = new http.Agent({ keepAlive: true, maxSockets });
  }

  post(body: string, timeoutMs = 5000): Promise<AlertAnswer> {
    const started = performance.now();
    return new Promise((resolve, reject) => {
      const req = http.request(
        this.url,
        {
          method: 'POST',
          agent: this.agent,
          headers: { authorization: `Bearer ${this.token}`, 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) },
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () => {
            let reason: string;
            try {
              reason = String((JSON.parse(Buffer.concat(chunks).toString('utf8')) as { reason?: string }).reason ?? '');
            } catch {
              reason = 'unparsable answer';
            }
            resolve({ status: res.statusCode ?? 0, reason, ms: performance.now() - started });
          });
          res.on('error', reject);
        },
      );
      req.setTimeout(timeoutMs, () => req.destroy(new Error(`POST /alert: no answer after ${timeoutMs} ms`)));
      req.on('error', reject);
      req.end(body);
    });
  }

  close(): void {
    this.agent.destroy();
  }
}
