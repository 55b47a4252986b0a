import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { ContainerWatch } from './container-watch.ts';

/** A daemon whose list is `containers` (each call counted) and whose event streams the test drives. */
function daemon() {
  const d = {
    containers: ['a'],
    lists: 0,
    streams: [] as PassThrough[],
    failOpen: false,
    list: async () => {
      d.lists += 1;
      return [...d.containers];
    },
    events: async () => {
      if (d.failOpen) throw new Error('connect ECONNREFUSED');
      const s = new PassThrough();
      d.streams.push(s);
      return s;
    },
  };
  return d;
}

const tick = () => new Promise((r) => setTimeout(r, 5));

describe('ContainerWatch', () => {
  it('lists once while the event stream is quiet, and again after a container event', async () => {
    const d = daemon();
    let now = 0;
    const w = new ContainerWatch(d.list, d.events, { now: () => now });
    w.start();
    await tick();
    expect(await w.current()).toEqual(['a']);
    now += 500;
    expect(await w.current()).toEqual(['a']);
    expect(d.lists).toBe(1);

    d.containers = ['a', 'b'];
    d.streams[0]!.write('{"status":"start","id":"b"}\n');
    await tick();
    expect(await w.current()).toEqual(['a', 'b']);
    expect(d.lists).toBe(2);
    w.close();
  });

  it('lists every call until the stream is open, and after it breaks, until it is open again', async () => {
    const d = daemon();
    d.failOpen = true;
    const errors: string[] = [];
    const w = new ContainerWatch(d.list, d.events, { now: () => 0, reopenMs: 10, onError: (r) => errors.push(r) });
    w.start();
    await tick();
    await w.current();
    await w.current();
    expect(d.lists).toBe(2);
    d.failOpen = false;
    await new Promise((r) => setTimeout(r, 30));
    expect(d.streams).toHaveLength(1);
    await w.current();
    await w.current();
    expect(d.lists).toBe(3);

    d.streams[0]!.destroy(new Error('socket hang up'));
    await tick();
    await w.current();
    expect(d.lists).toBe(4);
    // one report per outage, however many reopen attempts fail
    expect(errors).toEqual(['container events: Error: connect ECONNREFUSED', 'container events: socket hang up']);
    w.close();
  });

  it('does not keep a list that an event overtook while it was in flight', async () => {
    const d = daemon();
    const w = new ContainerWatch(async () => {
      const l = await d.list();
      d.streams[0]!.write('{"status":"die"}\n'); // the daemon changed while the answer was on its way
      await tick();
      return l;
    }, d.events, { now: () => 0 });
    w.start();
    await tick();
    await w.current();
    await w.current();
    expect(d.lists).toBe(2);
    w.close();
  });

  it('lists again when the kept list is older than maxAgeMs, events or not', async () => {
    const d = daemon();
    let now = 0;
    const w = new ContainerWatch(d.list, d.events, { now: () => now, maxAgeMs: 1000 });
    w.start();
    await tick();
    await w.current();
    now = 999;
    await w.current();
    now = 1000;
    await w.current();
    expect(d.lists).toBe(2);
    w.close();
  });

  it('closes its stream and opens no other after close', async () => {
    const d = daemon();
    const w = new ContainerWatch(d.list, d.events, { now: () => 0, reopenMs: 5 });
    w.start();
    await tick();
    w.close();
    await new Promise((r) => setTimeout(r, 20));
    expect(d.streams).toHaveLength(1);
    expect(d.streams[0]!.destroyed).toBe(true);
  });
});
