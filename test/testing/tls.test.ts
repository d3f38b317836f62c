import assert from 'node:assert/strict';
import { request } from 'node:https';
import { startTikTokEmulator, type TikTokEmulator } from '../../lib/testing';
import { selfSignedCert } from '../support/self-signed';

/** A throwaway self-signed certificate for 127.0.0.1, made with the openssl CLI. */

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

describe('startTikTokEmulator', () => {
  describe('TLS', () => {
    let tt: TikTokEmulator | undefined;
    let ca = '';

    before(async function () {
      const tls = selfSignedCert();
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
});
