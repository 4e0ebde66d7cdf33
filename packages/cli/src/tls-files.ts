import { createPrivateKey, X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createSecureContext } from 'node:tls';
import type { TlsFlags } from './args.js';
import { codeOf } from './describe.js';
import { UsageError } from './usage-error.js';

/** The `tls.connect` options the TLS flags give (the same for `tls://` and, through ws, `wss://`). */
export interface TlsConnectOptions {
  ca?: Buffer;
  cert?: Buffer;
  key?: Buffer;
  servername?: string;
  rejectUnauthorized?: boolean;
}

/** Why a file could not be read, in a few words. */
const READ_ERRORS: Readonly<Record<string, string>> = {
  ENOENT: 'no such file',
  EACCES: 'permission denied',
  EISDIR: 'a directory, not a file',
  ENOTDIR: 'a part of the path is not a directory',
};

function read(flag: string, path: string): Buffer {
  try {
    return readFileSync(path);
  } catch (error) {
    const code = codeOf(error) ?? 'error';
    throw new UsageError(`--${flag} ${path}: cannot read the file (${READ_ERRORS[code] ?? code})`);
  }
}

const PEM_CERTIFICATE = '-----BEGIN CERTIFICATE-----';

function certificate(flag: string, path: string): Buffer {
  const data = read(flag, path);
  let parsed = false;
  try {
    parsed = data.includes(PEM_CERTIFICATE) && new X509Certificate(data) !== undefined;
  } catch {
    parsed = false;
  }
  if (!parsed) throw new UsageError(`--${flag} ${path}: no PEM certificate in the file`);
  return data;
}

/** PKCS#8 and the older OpenSSL headers of an encrypted key (OpenSSL's error codes for it vary). */
const ENCRYPTED_KEY = /-----BEGIN ENCRYPTED PRIVATE KEY-----|Proc-Type: 4,ENCRYPTED/;

function privateKey(path: string): Buffer {
  const data = read('key', path);
  if (ENCRYPTED_KEY.test(data.toString('latin1'))) {
    throw new UsageError(
      `--key ${path}: the key is encrypted, and connback takes no passphrase (decrypt it with openssl pkey)`,
    );
  }
  try {
    createPrivateKey(data);
  } catch {
    throw new UsageError(`--key ${path}: no PEM private key in the file`);
  }
  return data;
}

/**
 * Reads and checks the files the TLS flags name, before any connection: a mistake there is a
 * usage error naming the flag and the path, not an attempt that fails again and again.
 * @throws UsageError when a file cannot be read, holds no certificate or key, or the key does not
 *   belong to the certificate.
 */
export function loadTls(flags: TlsFlags): TlsConnectOptions {
  const options: TlsConnectOptions = {};
  if (flags.ca !== undefined) options.ca = certificate('ca', flags.ca);
  if (flags.cert !== undefined && flags.key !== undefined) {
    const cert = certificate('cert', flags.cert);
    const key = privateKey(flags.key);
    try {
      createSecureContext({ cert, key });
    } catch {
      throw new UsageError(
        `--cert ${flags.cert} and --key ${flags.key}: the key is not the certificate's`,
      );
    }
    options.cert = cert;
    options.key = key;
  }
  if (flags.servername !== undefined) options.servername = flags.servername;
  if (flags.insecure) options.rejectUnauthorized = false;
  return options;
}
