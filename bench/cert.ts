import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { selfSignedCert } from '../test/support/self-signed';

export interface TlsFiles {
  readonly keyPath: string;
  readonly certPath: string;
  readonly key: Buffer;
  readonly cert: Buffer;
  /** Deletes the files. */
  remove(): void;
}

/**
 * A throwaway self-signed certificate for 127.0.0.1 (openssl, P-256, one day). The emulator and
 * the HTTPS apps serve it; the apps trust it through NODE_EXTRA_CA_CERTS and the driver through
 * its agent's `ca` — TLS verification stays on everywhere.
 */
export function generateCertificate(): TlsFiles {
  const pem = selfSignedCert('IP:127.0.0.1,DNS:localhost');
  if (pem === undefined) throw new Error('openssl is needed to make the HTTPS certificate');
  const dir = mkdtempSync(join(tmpdir(), 'passport-tiktok-bench-'));
  const keyPath = join(dir, 'key.pem');
  const certPath = join(dir, 'cert.pem');
  writeFileSync(keyPath, pem.key);
  writeFileSync(certPath, pem.cert);
  return {
    keyPath,
    certPath,
    key: Buffer.from(pem.key),
    cert: Buffer.from(pem.cert),
    remove: () => rmSync(dir, { recursive: true, force: true }),
  };
}
