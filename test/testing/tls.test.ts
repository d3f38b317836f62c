import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { request } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startTikTokEmulator, type TikTokEmulator } from '../../lib/testing';

/** A throwaway self-signed certificate for 127.0.0.1, made with the openssl CLI. */
function selfSigned(): { key: string; cert: string } | undefined {
  const dir = mkdtempSync(join(tmpdir(), 'tt-emulator-tls-'));
  try {
    const [key, cert] = [join(dir, 'key.pem'), join(dir, 'cert.pem')];
    execFileSync(
      'openssl',
      [
        'req',
        '-x509',
        '-newkey',
        'rsa:2048',
        '-nodes',
        '-keyout',
        key,
        '-out',
        cert,
        '-days',
        '1',
        '-subj',
        '/CN=127.0.0.1',
        '-addext',
        'subjectAltName=IP:127.0.0.1',
      ],
      { stdio: 'ignore' },
    );
    return { key: readFileSync(key, 'utf8'), cert: readFileSync(cert, 'utf8') };
  } catch {
    return undefined;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function httpsGet(url: string, ca: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    request(url, { ca }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (body += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    })
      .on('error', reject)
      .end();
  });
}

describe('TikTok emulator: TLS', () => {
  let tt: TikTokEmulator | undefined;
  let ca = '';

  before(async function () {
    const tls = selfSigned();
    if (tls === undefined) this.skip();
    ca = tls.cert;
    tt = await startTikTokEmulator({ tls });
  });
  after(() => tt?.close());

  it('serves HTTPS with the given certificate', async () => {
    assert.ok(tt);
    assert.equal(tt.url, `https://127.0.0.1:${tt.port}`);
    const { status, body } = await httpsGet(`${tt.endpoints.userInfoURL}?fields=open_id`, ca);
    assert.equal(status, 401);
    assert.match(body, /"code":"access_token_invalid"/);
  });
});
