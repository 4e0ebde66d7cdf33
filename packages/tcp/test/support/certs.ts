import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { EC_KEY, openssl } from '../../../../test-support/openssl.js';

/** Certificates made for one test file, in a fresh directory of their own. */
export interface TestCerts {
  readonly dir: string;
  /** The CA that signed the server certificate (PEM). */
  readonly ca: Buffer;
  /** A second, unrelated CA (PEM): it did not sign the server certificate. */
  readonly otherCa: Buffer;
  /** The server's key and certificate (PEM), for IP 127.0.0.1 and DNS localhost. */
  readonly key: Buffer;
  readonly cert: Buffer;
}

function makeCa(dir: string, name: string, subject: string): void {
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
    'basicConstraints=critical,CA:TRUE',
    '-addext',
    'keyUsage=critical,keyCertSign,cRLSign',
  ]);
}

/**
 * Generates, with the `openssl` command, a CA, a server certificate for 127.0.0.1 / localhost
 * signed by it, and a second unrelated CA, in a fresh directory under the OS temp dir.
 */
export function makeCerts(): TestCerts {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'connback-tls-'));
  try {
    makeCa(dir, 'ca', '/CN=connback test CA');
    makeCa(dir, 'other-ca', '/CN=connback unrelated CA');
    openssl(dir, [
      'req',
      '-new',
      ...EC_KEY,
      '-keyout',
      'server.key',
      '-out',
      'server.csr',
      '-subj',
      '/CN=localhost',
    ]);
    writeFileSync(
      path.join(dir, 'server.ext'),
      'subjectAltName=IP:127.0.0.1,DNS:localhost\n' +
        'basicConstraints=critical,CA:FALSE\n' +
        'extendedKeyUsage=serverAuth\n',
    );
    openssl(dir, [
      'x509',
      '-req',
      '-in',
      'server.csr',
      '-CA',
      'ca.pem',
      '-CAkey',
      'ca.key',
      '-set_serial',
      '0x2c0bac',
      '-days',
      '2',
      '-extfile',
      'server.ext',
      '-out',
      'server.pem',
    ]);
    const read = (file: string) => readFileSync(path.join(dir, file));
    return {
      dir,
      ca: read('ca.pem'),
      otherCa: read('other-ca.pem'),
      key: read('server.key'),
      cert: read('server.pem'),
    };
  } catch (error) {
    rmSync(dir, { recursive: true, force: true });
    throw error;
  }
}

/** Removes the directory `makeCerts` made. */
export function removeCerts(certs: TestCerts | undefined): void {
  if (certs !== undefined) rmSync(certs.dir, { recursive: true, force: true });
}
