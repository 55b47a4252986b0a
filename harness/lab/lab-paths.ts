import { join } from 'node:path';

/** The layout of the local lab's state directory (one per machine, outside any checkout). */
export class LabPaths {
  constructor(readonly root: string) {}

  node(name: string) {
    const dir = join(this.root, 'nodes', name);
    return {
      dir,
      dataRoot: join(dir, 'docker'),
      /** Bound onto /run inside the node's own mount namespace. */
      run: join(dir, 'run'),
      socket: join(dir, 'run', 'docker.sock'),
      pidFile: join(dir, 'run', 'docker.pid'),
      log: join(dir, 'dockerd.log'),
      /** `dockerd-ctl stop|start`: what `systemctl stop|start docker` does on a real node, for faults run over SSH. */
      ctl: join(dir, 'dockerd-ctl'),
    };
  }

  service(name: string) {
    const dir = join(this.root, 'services', name);
    return { dir, pidFile: join(dir, `${name}.pid`), log: join(dir, `${name}.log`) };
  }

  get ssh() {
    const dir = join(this.root, 'ssh');
    return {
      dir,
      clientKey: join(dir, 'id_ed25519'),
      hostKey: join(dir, 'ssh_host_ed25519_key'),
      authorizedKeys: join(dir, 'authorized_keys'),
      /** Every lab host's address with the lab's host key, for clients that check host keys. */
      knownHosts: join(dir, 'known_hosts'),
    };
  }

  /** The lab's certificate authority and the certificates of each node's dockerd on TCP (TLS). */
  get tls() {
    const dir = join(this.root, 'tls');
    return {
      dir,
      ca: join(dir, 'ca.pem'),
      caKey: join(dir, 'ca-key.pem'),
      /** The client certificate a remote lab.yaml names for tcp:// nodes. */
      clientCert: join(dir, 'cert.pem'),
      clientKey: join(dir, 'key.pem'),
      node: (name: string) => ({ cert: join(dir, `${name}-cert.pem`), key: join(dir, `${name}-key.pem`) }),
    };
  }

  get baseImage() {
    return { dir: join(this.root, 'base-image'), rootfs: join(this.root, 'base-image', 'rootfs') };
  }
}

/** Names of the kernel objects the lab creates for a host (namespaces, veths, cgroups). */
export const netnsName = (host: string) => `sg-${host}`;
export const vethName = (host: string) => `sgv-${host}`.slice(0, 15);
export const cgroupParent = (host: string) => `sg-${host}`;
