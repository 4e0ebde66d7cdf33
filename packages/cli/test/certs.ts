import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { EC_KEY, openssl } from '../../../test-support/openssl.js';

/** Certificates made for one test file with the `openssl` command, each as a file and its PEM. */
export interface TestCerts {
  readonly dir: string;
  /** A self-signed server certificate for IP 127.0.0.1 and DNS localhost, and its key. */
  readonly serverCert: string;
  readonly serverKey: string;
  /** A self-signed certificate for DNS connback.test only (not for 127.0.0.1), and its key. */
  readonly namedCert: string;
  readonly namedKey: string;
  /** A CA for client certificates, and a client certificate it signed, with its key. */
  readonly clientCa: string;
  readonly clientCert: string;
  readonly clientKey: string;
  /** A text file that holds no certificate. */
  readonly notPem: string;
  /** A private key encrypted with a passphrase. */
  readonly encryptedKey: string;
  /** The PEM contents of a file above. */
  pem(file: string): Buffer;
}

function selfSigned(dir: string, name: string, subject: string, altNames: string): void {
  openssl(dir, [
    'req',
    '-x509',
    ...EC_KEY,
    '-keyout',
    `${name}.key`,
    '-out',
    `${name}.pem`,
    '-days',
    '2',
    '-subj',
    subject,
    '-addext',
    `subjectAltName=${altNames}`,
  ]);
}

/** Makes the certificates of {@link TestCerts} in a fresh directory under the OS temp dir. */
export function makeCerts(): TestCerts {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'connback-cli-tls-'));
  try {
    selfSigned(dir, 'server', '/CN=localhost', 'IP:127.0.0.1,DNS:localhost');
    selfSigned(dir, 'named', '/CN=connback.test', 'DNS:connback.test');
    selfSigned(dir, 'client-ca', '/CN=connback client CA', 'DNS:client-ca.test');
    openssl(dir, [
      'req',
      '-new',
      ...EC_KEY,
      '-keyout',
      'client.key',
      '-out',
      'client.csr',
      '-subj',
      '/CN=connback client',
    ]);
    writeFileSync(path.join(dir, 'client.ext'), 'extendedKeyUsage=clientAuth\n');
    openssl(dir, [
      'x509',
      '-req',
      '-in',
      'client.csr',
      '-CA',
      'client-ca.pem',
      '-CAkey',
      'client-ca.key',
      '-set_serial',
      '0x5eed',
      '-days',
      '2',
      '-extfile',
      'client.ext',
      '-out',
      'client.pem',
    ]);
    writeFileSync(path.join(dir, 'not.pem'), 'this is not a certificate\n');
    openssl(dir, [
      'genpkey',
      '-algorithm',
      'EC',
      '-pkeyopt',
      'ec_paramgen_curve:prime256v1',
      '-aes-128-cbc',
      '-pass',
      'pass:connback',
      '-out',
      'encrypted.key',
    ]);
    const file = (name: string) => path.join(dir, name);
    return {
      dir,
      serverCert: file('server.pem'),
      serverKey: file('server.key'),
      namedCert: file('named.pem'),
      namedKey: file('named.key'),
      clientCa: file('client-ca.pem'),
      clientCert: file('client.pem'),
      clientKey: file('client.key'),
      notPem: file('not.pem'),
      encryptedKey: file('encrypted.key'),
      pem: (name) => readFileSync(name),
    };
  } catch (error) {
    rmSync(dir, { recursive: true, force: true });
    throw error;
  }
}

/** Removes the directory {@link makeCerts} made. */
export function removeCerts(certs: TestCerts | undefined): void {
  if (certs !== undefined) rmSync(certs.dir, { recursive: true, force: true });
}
