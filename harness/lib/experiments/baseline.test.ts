import { PassThrough, type Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import type { LabNodes } from '../cluster/lab-port.ts';
import type { EngineEventQuery } from '../cluster/types.ts';
import { killTime } from './baseline.ts';

type EventsPort = Pick<LabNodes, 'engineEvents'>;

const ID = '078c5be88f81aa00bb11cc22dd33ee44ff5566778899aabbccddeeff00112233';
const CALLED = 1_795_373_000_000;
const call = { calledAt: CALLED, returnedAt: CALLED + 12 };
const where = { node: 'worker-3', containerId: ID, correctionMs: 0 };

function dieLine(tMs: number, id = ID): string {
  return `${JSON.stringify({ status: 'die', id, Type: 'container', Action: 'die', Actor: { ID: id, Attributes: { exitCode: '137' } }, time: Math.floor(tMs / 1000), timeNano: tMs * 1e6 })}\n`;
}

/** A daemon whose events stream sends `lines` (split mid-line, as a socket may) and then stays open or ends. */
function fakeDaemon(lines: string[], opts: { end?: boolean } = {}): EventsPort & { asked: { node: string; query: EngineEventQuery }[]; stream: PassThrough } {
  const stream = new PassThrough();
  const asked: { node: string; query: EngineEventQuery }[] = [];
  return {
    asked,
    stream,
    engineEvents: (node, query) => {
      asked.push({ node, query });
      setImmediate(() => {
        const text = lines.join('');
        stream.write(text.slice(0, 17));
        stream.write(text.slice(17));
        if (opts.end) stream.end();
      });
      return Promise.resolve(stream);
    },
  };
}

describe('killTime', () => {
  it("takes the container's die event, on the control clock, and asks only for that container's die events", async () => {
    const daemon = fakeDaemon([dieLine(CALLED + 3 + 250, 'other'), dieLine(CALLED + 8 + 250)]);
    // the node's clock is 250 ms ahead: correction −250
    const k = await killTime(daemon, { ...where, correctionMs: -250 }, call, 1000);
    expect(k.source).toBe('docker-die-event');
    expect(k.t).toBeCloseTo(CALLED + 8, 3); // timeNano is past 2^53: a JSON number keeps it to a fraction of a µs
    expect(daemon.asked[0]).toMatchObject({ node: 'worker-3', query: { containerId: ID, event: 'die' } });
    expect(daemon.stream.destroyed).toBe(true);
  });

  it('falls back to the return of the kill call when no die event comes, within the bounded wait', async () => {
    const started = Date.now();
    const k = await killTime(fakeDaemon([]), where, call, 200);
    expect(Date.now() - started).toBeLessThan(1000);
    expect(k).toMatchObject({ t: call.returnedAt, source: 'kill-returned' });
    expect(k.why).toMatch(/no die event of 078c5be88f81.* from worker-3's Docker within 200 ms/);
  });

  it('falls back when the stream ends without one, or the daemon cannot be asked, naming what failed', async () => {
    expect(await killTime(fakeDaemon(['{"status":"start"}\n'], { end: true }), where, call, 1000)).toMatchObject({ source: 'kill-returned' });
    const refusing: EventsPort = { engineEvents: () => Promise.reject(new Error('connect ECONNREFUSED /var/run/docker.sock')) };
    const k = await killTime(refusing, where, call, 1000);
    expect(k).toMatchObject({ t: call.returnedAt, source: 'kill-returned' });
    expect(k.why).toBe(`reading worker-3's Docker events for ${ID}: connect ECONNREFUSED /var/run/docker.sock`);
  });

  it('gives up on a daemon that never answers', async () => {
    const silent: EventsPort = { engineEvents: () => new Promise<Readable>(() => undefined) };
    const k = await killTime(silent, where, call, 100);
    expect(k.why).toMatch(/no answer within 100 ms/);
  });

  it('does not trust a die event before the kill call: an uncorrected clock', async () => {
    const k = await killTime(fakeDaemon([dieLine(CALLED - 2000)]), where, call, 1000);
    expect(k).toMatchObject({ t: call.returnedAt, source: 'kill-returned' });
    expect(k.why).toMatch(/-2000\.0 ms from the kill call.*worker-3's clock offset measured/);
  });
});
