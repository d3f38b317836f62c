import assert from 'node:assert/strict';
import { startTikTokEmulator, type TikTokEmulator } from '../../lib/testing';
import {
  REDIRECT_URI,
  assertOAuthError,
  assertUserInfoError,
  authorizeCode,
  authorizeUrl,
  exchangeCode,
  get,
  jsonObject,
  postForm,
  redirectTarget,
  refreshTokens,
  stringProp,
  userInfo,
} from './helpers';

/** The bytes of a body that arrive before the connection closes, and whether it was whole. */
async function bodyUntilClosed(response: Response): Promise<{ text: string; whole: boolean }> {
  assert.ok(response.body);
  const reader = response.body.getReader();
  const decoder = new TextDecoder();
  let text = '';
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) return { text, whole: true };
      text += decoder.decode(value, { stream: true });
    }
  } catch {
    return { text, whole: false };
  }
}

describe('emulator: fault', () => {
  let tt: TikTokEmulator;
  const rolls: number[] = [];

  before(async () => {
    tt = await startTikTokEmulator({
      random: () => rolls.shift() ?? 0.99,
      redirectUris: [REDIRECT_URI],
    });
  });
  after(() => tt.close());
  beforeEach(() => {
    tt.reset();
    rolls.length = 0;
  });

  function clientCredentials(): Promise<Response> {
    return postForm(tt.endpoints.tokenURL, {
      client_key: tt.clientKey,
      client_secret: tt.clientSecret,
      grant_type: 'client_credentials',
    });
  }

  async function assertNormal(response: Response): Promise<void> {
    assert.equal(response.status, 200);
    assert.match(String((await jsonObject(response)).access_token), /^clt\./);
  }

  describe('answers', () => {
    it('answers a status, a JSON body, headers and Retry-After once, then normally', async () => {
      tt.inject('token', {
        status: 503,
        body: { message: 'busy' },
        headers: { 'x-extra': 'yes' },
        retryAfter: 2,
      });
      const faulted = await clientCredentials();
      assert.equal(faulted.status, 503);
      assert.equal(faulted.headers.get('retry-after'), '2');
      assert.equal(faulted.headers.get('x-extra'), 'yes');
      assert.match(faulted.headers.get('content-type') ?? '', /^application\/json/);
      assert.ok(faulted.headers.get('x-tt-logid'));
      assert.deepEqual(await faulted.json(), { message: 'busy' });
      await assertNormal(await clientCredentials());
    });

    it('answers a text body with a 429 and a date Retry-After', async () => {
      const date = 'Wed, 21 Oct 2015 07:28:00 GMT';
      tt.inject('userinfo', { status: 429, body: 'slow down', retryAfter: date });
      const response = await get(`${tt.endpoints.userInfoURL}?fields=open_id`);
      assert.equal(response.status, 429);
      assert.equal(response.headers.get('retry-after'), date);
      assert.equal(await response.text(), 'slow down');
    });

    it("answers tiktokError in each endpoint's shape, for `times` requests", async () => {
      tt.inject('token', { tiktokError: { error: 'server_error', description: 'boom' }, times: 2 });
      await assertOAuthError(await clientCredentials(), 'server_error', 'boom', 200);
      await assertOAuthError(await clientCredentials(), 'server_error', 'boom', 200);
      await assertNormal(await clientCredentials());

      tt.inject('userinfo', { tiktokError: { error: 'internal_error', status: 500 } });
      await assertUserInfoError(await userInfo(tt, 'act.x', 'open_id'), 500, 'internal_error');

      tt.inject('authorize', { tiktokError: { error: 'server_error', description: 'down' } });
      const target = redirectTarget(await get(authorizeUrl(tt)));
      assert.equal(`${target.origin}${target.pathname}`, REDIRECT_URI);
      assert.equal(target.searchParams.get('error'), 'server_error');
      assert.equal(target.searchParams.get('error_description'), 'down');
      assert.equal(target.searchParams.get('state'), 'state-123');
    });

    it('answers a Buffer body as its raw bytes (application/octet-stream unless headers say)', async () => {
      const bytes = Buffer.from([0x00, 0xff, 0x7b, 0x22, 0xfe]);
      tt.inject('token', { status: 502, body: bytes });
      const raw = await clientCredentials();
      assert.equal(raw.status, 502);
      assert.equal(raw.headers.get('content-type'), 'application/octet-stream');
      assert.deepEqual(Buffer.from(await raw.arrayBuffer()), bytes);
      const json = Buffer.from('{"error":"x"}');
      tt.inject('token', {
        body: json.subarray(1, 8),
        headers: { 'content-type': 'application/json' },
      });
      const typed = await clientCredentials();
      assert.equal(typed.headers.get('content-type'), 'application/json');
      assert.equal(await typed.text(), '"error"');
    });

    it('redirects', async () => {
      tt.inject('revoke', { redirect: 'https://example.com/elsewhere' });
      const response = await postForm(tt.endpoints.revokeURL, { token: 'x' });
      assert.equal(response.status, 302);
      assert.equal(response.headers.get('location'), 'https://example.com/elsewhere');
    });

    it('consumes queued faults in order', async () => {
      tt.inject('token', { status: 500 });
      tt.inject('token', { status: 502 });
      assert.equal((await clientCredentials()).status, 500);
      assert.equal((await clientCredentials()).status, 502);
      await assertNormal(await clientCredentials());
    });

    it('applies a fault only to requests its `match` accepts', async () => {
      tt.inject('token', { status: 503, match: (req) => req.grantType === 'refresh_token' });
      await assertNormal(await clientCredentials());
      const refresh = await postForm(tt.endpoints.tokenURL, {
        grant_type: 'refresh_token',
        refresh_token: 'rft.x',
      });
      assert.equal(refresh.status, 503);
      assert.equal(tt.count('token', { grantType: 'refresh_token' }), 1);
    });
  });

  describe('probability', () => {
    it('applies to the share of requests whose roll is below it, persistently', async () => {
      tt.inject('token', { status: 503, probability: 0.2 });
      rolls.push(0.1, 0.5, 0.9, 0.15, 0.3);
      const statuses: number[] = [];
      for (let i = 0; i < 5; i += 1) statuses.push((await clientCredentials()).status);
      assert.deepEqual(statuses, [503, 200, 200, 503, 200]);
    });

    it('stops after `times` applications', async () => {
      tt.inject('token', { status: 503, probability: 1, times: 2 });
      rolls.push(0, 0, 0);
      const statuses: number[] = [];
      for (let i = 0; i < 3; i += 1) statuses.push((await clientCredentials()).status);
      assert.deepEqual(statuses, [503, 503, 200]);
    });
  });

  describe('timing', () => {
    it('delays, then handles the request normally', async () => {
      tt.inject('token', { delayMs: 30, headers: { 'x-delayed': '1' } });
      const started = Date.now();
      const response = await clientCredentials();
      assert.ok(Date.now() - started >= 25, 'the answer was delayed');
      assert.equal(response.headers.get('x-delayed'), '1');
      await assertNormal(response);
    });

    it('hangs until the client gives up, and records the request', async () => {
      tt.inject('token', { hang: true });
      await assert.rejects(
        fetch(tt.endpoints.tokenURL, { method: 'POST', signal: AbortSignal.timeout(100) }),
        { name: 'TimeoutError' },
      );
      assert.equal(tt.count('token'), 1);
    });

    it('trickles a success-looking body one byte at a time', async () => {
      tt.inject('userinfo', { trickle: { intervalMs: 1 } });
      const response = await get(`${tt.endpoints.userInfoURL}?fields=open_id`);
      assert.equal(response.status, 200);
      assert.ok(response.body);
      const reader = response.body.getReader();
      const decoder = new TextDecoder();
      let text = '';
      let chunks = 0;
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        chunks += 1;
        text += decoder.decode(value, { stream: true });
      }
      assert.ok(chunks > 10, `arrived in ${chunks} chunks`);
      const body: unknown = JSON.parse(text);
      assert.deepEqual(body, {
        data: { user: { open_id: 'emulator-open-id-1', display_name: 'Emulator User' } },
        error: { code: 'ok', message: '', log_id: '' },
      });
    });
  });

  describe('connection resets', () => {
    it('resets before the headers', async () => {
      tt.inject('token', { reset: 'before-headers' });
      await assert.rejects(clientCredentials(), TypeError);
      await assertNormal(await clientCredentials());
    });

    it('resets after the headers and half the body', async () => {
      tt.inject('token', { reset: 'mid-body' });
      const response = await clientCredentials();
      assert.equal(response.status, 200);
      await assert.rejects(response.text(), TypeError);
    });
  });

  // docs/emulator.md, "Faults: was the request processed?": an answer that TikTok started or
  // sent late comes from a request it processed (the code is spent, the refresh token rotated);
  // a hang, a reset before the headers or an answer in TikTok's place leaves it unprocessed.
  describe('token and revoke: the request is processed when TikTok answered it', () => {
    const revoke = (token: string): Promise<Response> =>
      postForm(tt.endpoints.revokeURL, {
        client_key: tt.clientKey,
        client_secret: tt.clientSecret,
        token,
      });

    it('reset mid-body: half of the real answer, and the code is spent', async () => {
      const code = await authorizeCode(tt);
      tt.inject('token', { reset: 'mid-body' });
      const cut = await exchangeCode(tt, code);
      assert.equal(cut.status, 200);
      assert.ok(cut.headers.get('x-tt-logid'));
      const length = Number(cut.headers.get('content-length'));
      const { text, whole } = await bodyUntilClosed(cut);
      assert.equal(whole, false);
      assert.match(text, /^\{"access_token":"act\./);
      assert.ok(text.length < length, `${text.length} of ${length} bytes`);
      await assertOAuthError(await exchangeCode(tt, code), 'invalid_grant');
    });

    it('reset mid-body on a refresh: the old refresh token has rotated away', async () => {
      const grant = tt.issueTokens(tt.users[0]!.openId);
      tt.inject('token', { reset: 'mid-body' });
      assert.equal(
        (await bodyUntilClosed(await refreshTokens(tt, grant.refresh_token))).whole,
        false,
      );
      await assertOAuthError(await refreshTokens(tt, grant.refresh_token), 'invalid_grant');
    });

    it('a delay the client stops waiting for: the refresh token rotated when the request arrived', async () => {
      const grant = tt.issueTokens(tt.users[0]!.openId);
      tt.inject('token', { delayMs: 5000 });
      await assert.rejects(refreshTokens(tt, grant.refresh_token, AbortSignal.timeout(100)), {
        name: 'TimeoutError',
      });
      await assertOAuthError(await refreshTokens(tt, grant.refresh_token), 'invalid_grant');
    });

    it('a delay, then the real answer with the extra headers', async () => {
      const code = await authorizeCode(tt);
      tt.inject('token', { delayMs: 30, headers: { 'x-delayed': '1' } });
      const started = Date.now();
      const response = await exchangeCode(tt, code);
      assert.ok(Date.now() - started >= 25, 'the answer was delayed');
      assert.equal(response.headers.get('x-delayed'), '1');
      const access = stringProp(await jsonObject(response), 'access_token');
      assert.equal((await userInfo(tt, access, 'open_id')).status, 200);
    });

    it('trickle: the real answer one byte at a time, whose tokens work', async () => {
      const code = await authorizeCode(tt);
      tt.inject('token', { trickle: { intervalMs: 1 } });
      const { text, whole } = await bodyUntilClosed(await exchangeCode(tt, code));
      assert.equal(whole, true);
      const tokens: unknown = JSON.parse(text);
      assert.ok(typeof tokens === 'object' && tokens !== null);
      const access = String(Reflect.get(tokens, 'access_token'));
      assert.equal((await userInfo(tt, access, 'open_id')).status, 200);
      await assertOAuthError(await exchangeCode(tt, code), 'invalid_grant');
    });

    it('trickle of an error: the real refusal, one byte at a time', async () => {
      tt.inject('token', { trickle: { intervalMs: 1 } });
      const { text } = await bodyUntilClosed(await refreshTokens(tt, 'rft.unknown'));
      assert.match(text, /^\{"error":"invalid_grant",/);
    });

    it('revoke reset mid-body: the token is revoked', async () => {
      const grant = tt.issueTokens(tt.users[0]!.openId);
      tt.inject('revoke', { reset: 'mid-body' });
      const cut = await revoke(grant.access_token);
      assert.equal(cut.status, 200);
      assert.equal((await bodyUntilClosed(cut)).whole, false);
      await assertUserInfoError(
        await userInfo(tt, grant.access_token, 'open_id'),
        401,
        'access_token_invalid',
      );
      await assertOAuthError(await revoke(grant.access_token), 'invalid_request'); // already revoked
    });

    const unprocessed: [name: string, fault: Parameters<TikTokEmulator['inject']>[1]][] = [
      ['hang', { hang: true }],
      ['reset before the headers', { reset: 'before-headers' }],
      ['a delay, then a reset before the headers', { delayMs: 10, reset: 'before-headers' }],
      ['status 503', { status: 503, body: 'busy' }],
      ['tiktokError', { tiktokError: { error: 'server_error' } }],
      ['malformed', { malformed: 'truncated' }],
      ['redirect', { redirect: 'https://example.com/elsewhere' }],
    ];
    for (const [name, fault] of unprocessed) {
      it(`${name}: not processed, the code still works`, async () => {
        const code = await authorizeCode(tt);
        tt.inject('token', fault);
        await exchangeCode(tt, code, {}, AbortSignal.timeout(200)).then(
          (response) => response.arrayBuffer(),
          () => undefined,
        );
        const tokens = await jsonObject(await exchangeCode(tt, code));
        assert.match(stringProp(tokens, 'access_token'), /^act\./);
      });
    }
  });

  describe('malformed bodies (HTTP 200)', () => {
    const expected: [kind: Parameters<typeof check>[0], type: RegExp, body: RegExp][] = [
      ['truncated', /^application\/json/, /^\{"access_token":"act\.[^}]*$/],
      ['html', /^text\/html/, /^<!DOCTYPE html>/],
      ['null', /^application\/json/, /^null$/],
      ['array', /^application\/json/, /^\[\{"access_token".*\}\]$/],
      ['string', /^application\/json/, /^"ok"$/],
      ['empty', /^application\/json/, /^$/],
      ['not-json', /^application\/json/, /^access_token=act\.not-json&expires_in=86400$/],
    ];

    async function check(
      kind: 'truncated' | 'html' | 'null' | 'array' | 'string' | 'empty' | 'not-json',
      type: RegExp,
      body: RegExp,
    ): Promise<void> {
      tt.inject('token', { malformed: kind });
      const response = await clientCredentials();
      assert.equal(response.status, 200);
      assert.match(response.headers.get('content-type') ?? '', type);
      assert.match(await response.text(), body);
    }

    for (const [kind, type, body] of expected) {
      it(`answers ${kind}`, () => check(kind, type, body));
    }

    it('answers oversized: 10 MiB of application/json', async () => {
      tt.inject('token', { malformed: 'oversized' });
      const response = await clientCredentials();
      assert.equal(response.headers.get('content-length'), String(10 * 1024 * 1024));
      const bytes = await response.arrayBuffer();
      assert.ok(bytes.byteLength >= 10 * 1024 * 1024);
    });
  });

  describe('validation', () => {
    it('throws a TypeError for a bad endpoint or fault', () => {
      // @ts-expect-error: not an endpoint
      assert.throws(() => tt.inject('login', { status: 500 }), TypeError);
      assert.throws(() => tt.inject('token', { times: 0 }), TypeError);
      assert.throws(() => tt.inject('token', { probability: 1.5 }), TypeError);
      assert.throws(() => tt.inject('token', { status: 99 }), TypeError);
      // A 1xx is no final answer: the client would wait, or drop the connection.
      for (const status of [100, 101, 103, 199]) {
        assert.throws(() => tt.inject('token', { status }), /final HTTP status \(200-599\)/);
        assert.throws(
          () => tt.inject('token', { tiktokError: { error: 'server_error', status } }),
          /`tiktokError.status` must be an integer final HTTP status/,
        );
      }
      // @ts-expect-error: not a malformed kind
      assert.throws(() => tt.inject('token', { malformed: 'xml' }), TypeError);
      // @ts-expect-error: not a reset kind
      assert.throws(() => tt.inject('token', { reset: 'later' }), TypeError);
      assert.throws(() => tt.inject('token', { delayMs: -1 }), TypeError);
    });

    it('refuses an unknown field, naming the fields there are', () => {
      const refusals: [fault: unknown, message: RegExp][] = [
        [
          { statuss: 503 },
          /unknown field `statuss` \(the fields: status, body, headers, tiktokError, retryAfter, delayMs, hang, reset, malformed, trickle, redirect, match, times, probability\)/,
        ],
        [{ status: 503, retry_after: 2 }, /unknown field `retry_after`/],
        [
          { tiktokError: { error: 'invalid_grant', descripton: 'x' } },
          /unknown field `tiktokError\.descripton` \(the fields: error, description, status\)/,
        ],
        [
          { trickle: { interval: 5 } },
          /unknown field `trickle\.interval` \(the fields: intervalMs\)/,
        ],
      ];
      for (const [fault, message] of refusals) {
        // @ts-expect-error: deliberately not an EmulatorFault
        assert.throws(() => tt.inject('token', fault), { name: 'TypeError', message });
      }
    });

    it('refuses a field of the wrong type, naming it', () => {
      const refusals: [fault: unknown, message: RegExp][] = [
        [null, /expected an object \(got null\)/],
        [
          { trickle: 5 },
          /`trickle` must be an object \(\{ intervalMs\? \}; \{\} for 1000 ms\) \(got 5\)/,
        ],
        [{ trickle: true }, /`trickle` must be an object/],
        [{ hang: 'yes' }, /`hang` must be true or false \(got "yes"\)/],
        [{ hang: 1 }, /`hang` must be true or false \(got 1\)/],
        [
          { body: 503 },
          /`body` must be a string \(sent as text\/plain\), a Buffer \(sent as is\) or an object or array \(sent as JSON\) \(got 503\)/,
        ],
        [{ body: { n: 1n } }, /`body` cannot be sent as JSON/],
        [{ headers: 'x-a: 1' }, /`headers` must be an object of header names to string values/],
        [{ headers: { 'x-a': 1 } }, /`headers`\["x-a"\] must be a string \(got 1\)/],
        [
          { tiktokError: 'invalid_grant' },
          /`tiktokError` must be an object \(\{ error, description\?, status\? \}\)/,
        ],
        [
          { tiktokError: { error: 'x', description: 5 } },
          /`tiktokError\.description` must be a string/,
        ],
        [{ redirect: 5 }, /`redirect` must be a non-empty string/],
        [
          { redirect: 'https://example.com/\n' },
          /`redirect`\["location"\] is .* which HTTP does not allow/,
        ],
        [{ malformed: 5 }, /`malformed` must be one of truncated, html/],
        [{ times: '2' }, /`times` must be a positive integer or Infinity/],
      ];
      for (const [fault, message] of refusals) {
        // @ts-expect-error: deliberately not an EmulatorFault
        assert.throws(() => tt.inject('token', fault), { name: 'TypeError', message });
      }
    });

    it('refuses a retryAfter that is neither whole seconds nor an HTTP date', () => {
      const refused: unknown[] = [
        -1,
        1.5,
        Number.NaN,
        Infinity,
        'soon',
        'window',
        '-3',
        '2015-10-21',
        'Wed, 32 Oct 2015 07:28:00 GMT',
        '',
      ];
      for (const retryAfter of refused) {
        // @ts-expect-error: deliberately not a Retry-After
        assert.throws(() => tt.inject('token', { status: 429, retryAfter }), {
          name: 'TypeError',
          message:
            /`retryAfter` must be a non-negative integer of seconds or an HTTP date such as 'Wed, 21 Oct 2015 07:28:00 GMT' .*use `headers: \{ 'retry-after': … \}`/,
        });
      }
      const accepted = [
        0,
        120,
        '120',
        'Wed, 21 Oct 2015 07:28:00 GMT',
        'Wednesday, 21-Oct-15 07:28:00 GMT',
        'Wed Oct 21 07:28:00 2015',
        'Sun Nov  6 08:49:37 1994',
      ];
      for (const retryAfter of accepted) tt.inject('token', { status: 429, retryAfter });
    });

    it('refuses a top-level status with tiktokError, pointing to tiktokError.status', () => {
      assert.throws(
        () => tt.inject('token', { status: 429, tiktokError: { error: 'rate_limit_exceeded' } }),
        {
          name: 'TypeError',
          message:
            /`status` does not apply with `tiktokError`: give the HTTP status as `tiktokError\.status`/,
        },
      );
    });

    it('refuses a header HTTP does not allow at inject: the code is not spent by a 500 later', async () => {
      const code = await authorizeCode(tt);
      assert.throws(() => tt.inject('token', { delayMs: 1, headers: { 'x-note': 'café ☕' } }), {
        name: 'TypeError',
        message: /`headers`\["x-note"\] is "café ☕", which HTTP does not allow in a header/,
      });
      assert.throws(() => tt.inject('token', { headers: { 'x note': 'a' } }), {
        name: 'TypeError',
        message: /`headers` has the header name "x note", which HTTP does not allow/,
      });
      tt.inject('token', { delayMs: 1, headers: { 'x-note': 'café' } }); // Latin-1 is valid HTTP
      const response = await exchangeCode(tt, code);
      assert.equal(response.status, 200);
      assert.equal(response.headers.get('x-note'), 'café');
      assert.match(stringProp(await jsonObject(response), 'access_token'), /^act\./);
    });

    it('delayMs and trickle.intervalMs above 2^31 − 1 are TypeErrors (a Node.js timer would fire after 1 ms)', () => {
      assert.throws(() => tt.inject('token', { delayMs: 2 ** 31 }), {
        name: 'TypeError',
        message: /`delayMs` must be a non-negative number up to 2147483647/,
      });
      assert.throws(() => tt.inject('token', { trickle: { intervalMs: 2 ** 31 } }), {
        name: 'TypeError',
        message: /`trickle.intervalMs` must be a non-negative number up to 2147483647/,
      });
    });
  });
});
