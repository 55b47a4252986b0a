import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { $ } from 'zx';
import type { LabPaths } from './lab-paths.ts';

/** Port of each node's dockerd on TCP with TLS, Docker's registered port for it. */
export const DOCKER_TLS_PORT = 2376;

const DAYS = 3650;
const EC = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];

/**
 * A certificate signed by the lab's CA, for a subject with the given extensions. The extension
 * text is kept beside the certificate: a node whose address changed gets a new one.
 */
async function signed(paths: LabPaths, name: string, cert: string, key: string, ext: string): Promise<void> {
  const extFile = `${cert}.ext`;
  if (existsSync(cert) && existsSync(key) && existsSync(extFile) && (await readFile(extFile, 'utf8')) === ext) return;
  const t = paths.tls;
  const csr = `${cert}.csr`;
  await writeFile(extFile, ext);
  await $({ quiet: true })`openssl req -new ${EC} -keyout ${key} -subj ${`/CN=${name}`} -out ${csr}`;
  await $({ quiet: true })`openssl x509 -req -in ${csr} -CA ${t.ca} -CAkey ${t.caKey} -CAcreateserial -days ${DAYS} -sha256 -extfile ${extFile} -out ${cert}`;
  await rm(csr, { force: true });
}

/**
 * The lab's CA, a server certificate per node (its address and name as subject alternative names,
 * so a client that checks the host name accepts it) and one client certificate for the harness.
 */
export async function ensureLabTls(paths: LabPaths, nodes: readonly { name: string; address: string }[]): Promise<void> {
  const t = paths.tls;
  await mkdir(t.dir, { recursive: true, mode: 0o700 });
  if (!existsSync(t.ca) || !existsSync(t.caKey)) {
    await $({ quiet: true })`openssl req -x509 ${EC} -keyout ${t.caKey} -days ${DAYS} -sha256 -subj /CN=swarmguard-lab-ca -out ${t.ca}`;
    // every certificate of an older CA is void now
    for (const n of nodes) await rm(`${t.node(n.name).cert}.ext`, { force: true });
    await rm(`${t.clientCert}.ext`, { force: true });
  }
  for (const n of nodes) {
    const ip = /^\d+\.\d+\.\d+\.\d+$/.test(n.address) ? `IP:${n.address},` : '';
    await signed(paths, n.name, t.node(n.name).cert, t.node(n.name).key, `subjectAltName=${ip}DNS:${n.name},DNS:${n.address}\nextendedKeyUsage=serverAuth\n`);
  }
  await signed(paths, 'swarmguard-harness', t.clientCert, t.clientKey, 'extendedKeyUsage=clientAuth\n');
}

/** dockerd's flags for a TCP listener on the node's address that only takes clients with a certificate of the lab's CA. */
export function dockerdTlsFlags(paths: LabPaths, node: { name: string; address: string }): string[] {
  const t = paths.tls;
  const own = t.node(node.name);
  return ['-H', `tcp://${node.address}:${DOCKER_TLS_PORT}`, '--tlsverify', '--tlscacert', t.ca, '--tlscert', own.cert, '--tlskey', own.key];
}
