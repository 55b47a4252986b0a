import { EventEmitter } from 'node:events';
import type { ServerResponse } from 'node:http';
import { describe, expect, it } from 'vitest';
import { InflightResponses } from '../src/inflight-responses.ts';

const fakeResponse = () => new EventEmitter() as unknown as ServerResponse;

describe('InflightResponses', () => {
  it('is idle at once when nothing is tracked', async () => {
    expect(await new InflightResponses().whenIdle(10)).toBe(true);
  });

  it('waits for every tracked response to finish or close', async () => {
    const inflight = new InflightResponses();
    const a = fakeResponse();
    const b = fakeResponse();
    inflight.track(a);
    inflight.track(b);
    let idle: boolean | undefined;
    const waiting = inflight.whenIdle(5000).then((v) => (idle = v));
    a.emit('finish');
    await Promise.resolve();
    expect(idle).toBeUndefined();
    expect(inflight.size).toBe(1);
    b.emit('close');
    await waiting;
    expect(idle).toBe(true);
  });

  it('gives up after the timeout', async () => {
    const inflight = new InflightResponses();
    inflight.track(fakeResponse());
    expect(await inflight.whenIdle(20)).toBe(false);
  });
});
