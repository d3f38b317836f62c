import assert from 'node:assert/strict';
import { otherCookieHost } from '../../lib/strategy/cookie-check';

describe('strategy/cookie-check', () => {
  describe('otherCookieHost', () => {
    it('names two names of this machine, and a host with its parent domain', () => {
      const lost: Array<[string, string]> = [
        ['localhost', '127.0.0.1'],
        ['127.0.0.1', 'localhost'],
        ['[::1]', 'localhost'],
        ['www.example.com', 'example.com'],
        ['example.com', 'www.example.com'],
        ['a.b.example.com', 'b.example.com'],
      ];
      for (const [host, callbackHost] of lost) {
        const detail = otherCookieHost(host, callbackHost, false);
        assert.ok(detail !== undefined, `${host} → ${callbackHost}`);
        assert.match(
          detail,
          new RegExp(`^the login started on ${host.replace(/[.[\]]/g, '\\$&')}`),
        );
      }
    });

    it('says nothing where the cookie may well come back, or a proxy may have rewritten Host', () => {
      const fine: Array<[string, string, boolean]> = [
        ['example.com', 'example.com', false],
        // cookie.domain set: the app shares its cookie across the subdomains on purpose.
        ['www.example.com', 'example.com', true],
        // A proxy's upstream name, or a sibling: not known to be wrong.
        ['app-upstream', 'example.com', false],
        ['localhost', 'example.com', false],
        ['app.example.com', 'auth.example.com', false],
        ['notexample.com', 'example.com', false],
        // Not a host name: never logged.
        ['evil.com/<script>.example.com', 'example.com', false],
      ];
      for (const [host, callbackHost, hasDomain] of fine) {
        assert.equal(otherCookieHost(host, callbackHost, hasDomain), undefined, host);
      }
    });
  });
});
