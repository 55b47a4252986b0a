import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { followDockerStream } from './docker-stream.ts';

const lines = (...events: object[]) => Readable.from(events.map((e) => `${JSON.stringify(e)}\n`));

describe('followDockerStream', () => {
  it('resolves with every event of a good answer, also split across chunks', async () => {
    const text = `${JSON.stringify({ stream: 'Step 1/3 : FROM x\n' })}\n${JSON.stringify({ aux: { ID: 'sha256:abc' } })}\n`;
    const events = await followDockerStream(Readable.from([text.slice(0, 17), text.slice(17)]), 'build of agent on master');
    expect(events).toEqual([{ stream: 'Step 1/3 : FROM x\n' }, { aux: { ID: 'sha256:abc' } }]);
  });

  it('rejects on an error line inside a 200 answer, with the last output', async () => {
    const stream = lines({ stream: 'Step 1/3 : FROM mirror.lab/node:20-alpine\n' }, { errorDetail: { message: 'manifest unknown' }, error: 'manifest unknown' });
    await expect(followDockerStream(stream, 'build of agent on master')).rejects.toThrow('build of agent on master: manifest unknown (last output: Step 1/3 : FROM mirror.lab/node:20-alpine)');
  });
});
