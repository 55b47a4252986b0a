/** One line of a build or push answer stream. */
export interface DockerStreamEvent {
  stream?: string;
  status?: string;
  error?: string;
  errorDetail?: { message?: string };
  aux?: { ID?: string };
}

/**
 * Reads a build or push answer to its end. The daemon answers these with 200 and reports a failed
 * step as an `error` line inside the stream, so the HTTP status alone says nothing; the error
 * names what was being done and the last lines of output before the failure.
 */
export function followDockerStream(stream: NodeJS.ReadableStream, what: string): Promise<DockerStreamEvent[]> {
  return new Promise((resolve, reject) => {
    const events: DockerStreamEvent[] = [];
    let buffer = '';
    let done = false;
    const take = (line: string) => {
      if (!line.trim()) return;
      try {
        events.push(JSON.parse(line) as DockerStreamEvent);
      } catch {
        events.push({ stream: line });
      }
    };
    const finish = (err?: Error) => {
      if (done) return;
      done = true;
      take(buffer);
      const failed = events.find((e) => e.error || e.errorDetail?.message);
      const tail = events
        .flatMap((e) => (e.stream ?? e.status ?? '').split('\n'))
        .filter((l) => l.trim())
        .slice(-5)
        .join(' | ');
      if (err) reject(new Error(`${what}: the answer stream broke: ${err.message}${tail ? ` (last output: ${tail})` : ''}`, { cause: err }));
      else if (failed) reject(new Error(`${what}: ${failed.errorDetail?.message ?? failed.error}${tail ? ` (last output: ${tail})` : ''}`));
      else resolve(events);
    };
    stream.on('data', (chunk: Buffer | string) => {
      buffer += chunk.toString();
      const lines = buffer.split('\n');
      buffer = lines.pop() ?? '';
      lines.forEach(take);
    });
    stream.on('error', (err: Error) => finish(err));
    stream.on('end', () => finish());
    stream.on('close', () => finish());
  });
}
