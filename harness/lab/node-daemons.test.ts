import { describe, expect, it } from 'vitest';
import { parseDockerProxy } from './node-daemons.ts';

describe('parseDockerProxy', () => {
  it('reads the host port and container address of a docker-proxy command line', () => {
    const cmd = ['/usr/sbin/docker-proxy', '-proto', 'tcp', '-host-ip', '0.0.0.0', '-host-port', '8080', '-container-ip', '172.17.0.2', '-container-port', '8080', ''].join('\0');
    expect(parseDockerProxy(cmd)).toEqual({ hostPort: 8080, containerIp: '172.17.0.2' });
  });

  it('ignores other processes and a command line it cannot read', () => {
    expect(parseDockerProxy(['/usr/sbin/sshd', '-D', '-host-port', '22'].join('\0'))).toBeUndefined();
    expect(parseDockerProxy(['/usr/sbin/docker-proxy', '-proto', 'tcp'].join('\0'))).toBeUndefined();
    expect(parseDockerProxy('')).toBeUndefined();
  });
});
