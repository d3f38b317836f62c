import assert from 'node:assert/strict';
import { startTikTokEmulator, type TikTokEmulator } from '../../lib/testing';
import {
  REDIRECT_URI,
  assertOAuthError,
  assertUserInfoError,
  authorizeUrl,
  get,
  jsonObject,
  postForm,
  redirectTarget,
  userInfo,
} from './helpers';

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
      // @ts-expect-error: not a malformed kind
      assert.throws(() => tt.inject('token', { malformed: 'xml' }), TypeError);
      // @ts-expect-error: not a reset kind
      assert.throws(() => tt.inject('token', { reset: 'later' }), TypeError);
      assert.throws(() => tt.inject('token', { delayMs: -1 }), TypeError);
    });
  });
});
