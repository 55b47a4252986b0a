import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { gunzipSync } from 'node:zlib';

// Test-only: no file under system/*/src imports this, so the esbuild bundles the images are built
// from (scripts/build.mjs, from each src/main.ts) never contain it.

/** One request as the fake received it, body ungzipped and split into line-protocol lines. */
export interface InfluxWrite {
  url: string;
  headers: http.IncomingHttpHeaders;
  lines: string[];
}

/** ok: 204 as InfluxDB 2 answers an accepted write; fail: the configured error; hang: no answer at all. */
export type InfluxWriteMode = 'ok' | 'fail' | 'hang';

export interface InfluxWriteFailure {
  status: number;
  /** InfluxDB 2's error shape, `{"code":…,"message":…}`, which the client puts into its error message. */
  body: string;
}

/**
 * A hand-written stand-in for InfluxDB 2's /api/v2/write (or VictoriaMetrics' copy of it) on
 * 127.0.0.1 and an ephemeral port. Every request is recorded, whatever the mode, so a test can count
 * the attempts a client made while the store was failing or hanging; `mode` may change mid-test.
 */
export class FakeInfluxWriteServer {
  readonly writes: InfluxWrite[] = [];
  mode: InfluxWriteMode = 'ok';

  private constructor(
    private readonly server: http.Server,
    private readonly failure: InfluxWriteFailure,
  ) {
    server.on('request', (req, res) => this.handle(req, res));
  }

  static async start(failure: InfluxWriteFailure = { status: 503, body: '{"code":"unavailable","message":"service unavailable"}' }): Promise<FakeInfluxWriteServer> {
    const fake = new FakeInfluxWriteServer(http.createServer(), failure);
    await new Promise<void>((resolve) => fake.server.listen(0, '127.0.0.1', resolve));
    return fake;
  }

  get url(): string {
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  /** Drops the connections a hanging mode left open, so closing never waits for a client's timeout. */
  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }

  private handle(req: http.IncomingMessage, res: http.ServerResponse): void {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const raw = Buffer.concat(chunks);
      const text = req.headers['content-encoding'] === 'gzip' ? gunzipSync(raw).toString() : raw.toString();
      this.writes.push({ url: req.url ?? '', headers: req.headers, lines: text.split('\n') });
      if (this.mode === 'ok') res.writeHead(204).end();
      else if (this.mode === 'fail') res.writeHead(this.failure.status, { 'content-type': 'application/json' }).end(this.failure.body);
    });
  }
}
