import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import express from 'express';
import request from 'supertest';
import { getTikTokLoginFailure, tiktokReturnTo } from '../../lib';
import { field } from '../support/json';
import {
  LOGIN_FAILURE_KEY,
  MAX_RECORDED_MESSAGE_LENGTH,
  recordLoginFailure,
} from '../../lib/state/login-failure';
import type { SessionLike } from '../../lib/state/session';
import { userMessage } from '../../lib/user-messages';

describe('state/login-failure', () => {
  let server: Server;
  before(() => {
    const app = express();
    app.use((req, _res, next) => {
      const stored = req.get('x-stored');
      const session = { save: (cb: () => void): void => cb() };
      if (stored !== undefined) Reflect.set(session, LOGIN_FAILURE_KEY, JSON.parse(stored));
      Reflect.set(req, 'session', session);
      next();
    });
    app.get('/login', (req, res) => {
      const first = getTikTokLoginFailure(req) ?? null;
      res.json({ first, second: getTikTokLoginFailure(req) ?? null });
    });
    app.get(
      '/done',
      (req, _res, next) => {
        const returnTo = req.get('x-return-to');
        if (returnTo !== undefined) req.authInfo = { returnTo };
        next();
      },
      tiktokReturnTo({ fallback: '/home' }),
    );
    server = createServer(app);
  });
  after(() => {
    if (server.listening) server.close();
  });

  it('reads the recorded failure once, with the message for its code', async () => {
    const res = await request(server)
      .get('/login')
      .set('x-stored', JSON.stringify({ code: 'ACCESS_DENIED', correlationId: 'c-1' }));
    assert.deepEqual(res.body, {
      first: {
        code: 'ACCESS_DENIED',
        correlationId: 'c-1',
        message: 'The TikTok login was cancelled. You can try again whenever you like.',
      },
      second: null,
    });
  });

  it("a recorded message (the app's verify's) is returned instead of the code's", async () => {
    const res = await request(server)
      .get('/login')
      .set(
        'x-stored',
        JSON.stringify({ code: 'ACCESS_DENIED', correlationId: 'c-1', message: 'Banned.' }),
      );
    assert.equal(field(res.body, 'first', 'message'), 'Banned.');
  });

  it('a recorded message that is not a string or is too long is dropped, the failure kept', async () => {
    for (const message of [42, { text: 'x' }, 'x'.repeat(MAX_RECORDED_MESSAGE_LENGTH + 1)]) {
      const res = await request(server)
        .get('/login')
        .set('x-stored', JSON.stringify({ code: 'ACCESS_DENIED', correlationId: 'c-1', message }));
      assert.equal(field(res.body, 'first', 'message'), userMessage('ACCESS_DENIED'));
    }
  });

  it("records a message only when it is not the code's, cut to the longest kept", () => {
    const session: SessionLike = { save: (cb) => cb() };
    recordLoginFailure(session, {
      code: 'ACCESS_DENIED',
      correlationId: 'c-1',
      message: userMessage('ACCESS_DENIED'),
    });
    assert.deepEqual(session[LOGIN_FAILURE_KEY], { code: 'ACCESS_DENIED', correlationId: 'c-1' });
    recordLoginFailure(session, {
      code: 'ACCESS_DENIED',
      correlationId: 'c-1',
      message: 'y'.repeat(2000),
    });
    assert.equal(
      field(session[LOGIN_FAILURE_KEY], 'message'),
      'y'.repeat(MAX_RECORDED_MESSAGE_LENGTH),
    );
  });

  it('cuts a recorded message without splitting an emoji in half', () => {
    const session: SessionLike = { save: (cb) => cb() };
    const head = 'y'.repeat(MAX_RECORDED_MESSAGE_LENGTH - 1);
    recordLoginFailure(session, {
      code: 'ACCESS_DENIED',
      correlationId: 'c-1',
      message: `${head}😀 more`,
    });
    // A lone surrogate would be `\ud83d` in the stored JSON, which strict parsers refuse.
    assert.equal(field(session[LOGIN_FAILURE_KEY], 'message'), head);
  });

  it('ignores a tampered record', async () => {
    const res = await request(server)
      .get('/login')
      .set('x-stored', JSON.stringify({ code: 'NOT_A_CODE', correlationId: 'c-1' }));
    assert.deepEqual(res.body, { first: null, second: null });
  });

  it('falls back on ?error=&correlationId= (duplicates refused)', async () => {
    const id = 'tiktok-1764500000000-0a1b2c3d';
    const ok = await request(server).get(`/login?error=RATE_LIMIT&correlationId=${id}`);
    assert.equal(field(ok.body, 'first', 'code'), 'RATE_LIMIT');
    const dup = await request(server).get(
      `/login?error=RATE_LIMIT&error=API_ERROR&correlationId=${id}`,
    );
    assert.equal(field(dup.body, 'first'), null);
  });

  it('a query correlationId is only shown in the correlation-ID format (issue #12 item 9)', async () => {
    for (const id of [
      'tiktok-1764500000000-0a1b2c3d',
      '3F2504E0-4F89-41D3-9A0C-0305E82C3301',
      '3f2504e0-4f89-41d3-9a0c-0305e82c3301',
    ]) {
      const res = await request(server).get(`/login?error=RATE_LIMIT&correlationId=${id}`);
      assert.equal(field(res.body, 'first', 'correlationId'), id);
    }
    for (const id of [
      'CALL-SUPPORT-AT-evil.example',
      'c-2',
      'tiktok-1764500000000-0a1b2c3d-x',
      'tiktok-abc-0a1b2c3d',
      'tiktok-1764500000000-0A1B2C3',
      '5f2b1c9e8d7a6b5c4d3e2f1a0b9c8d7e', // nginx's $request_id
      '%0D%0Ax',
    ]) {
      const res = await request(server).get(`/login?error=RATE_LIMIT&correlationId=${id}`);
      // The reference is dropped, not the failure: its code and fixed message are still shown.
      assert.deepEqual(
        field(res.body, 'first'),
        { code: 'RATE_LIMIT', message: userMessage('RATE_LIMIT') },
        id,
      );
    }
  });

  it('a query without one correlationId (none, or two) still gives the code, without a reference', async () => {
    for (const query of [
      'error=ACCESS_DENIED',
      'error=ACCESS_DENIED&correlationId=a&correlationId=b',
    ]) {
      const res = await request(server).get(`/login?${query}`);
      assert.deepEqual(
        field(res.body, 'first'),
        { code: 'ACCESS_DENIED', message: userMessage('ACCESS_DENIED') },
        query,
      );
    }
  });

  it('a recorded failure named by a query ID that may not be shown: the record, its message kept', async () => {
    const id = '5f2b1c9e8d7a6b5c4d3e2f1a0b9c8d7e';
    const res = await request(server)
      .get(`/login?error=ACCESS_DENIED&correlationId=${id}`)
      .set(
        'x-stored',
        JSON.stringify({ code: 'ACCESS_DENIED', correlationId: id, message: 'Banned.' }),
      );
    assert.deepEqual(field(res.body, 'first'), {
      code: 'ACCESS_DENIED',
      correlationId: id,
      message: 'Banned.',
    });
  });

  it('tiktokReturnTo redirects to the validated returnTo, else the fallback', async () => {
    assert.equal(
      (await request(server).get('/done').set('x-return-to', '/account')).headers.location,
      '/account',
    );
    assert.equal(
      (await request(server).get('/done').set('x-return-to', '//evil.com')).headers.location,
      '/home',
    );
    assert.equal((await request(server).get('/done')).headers.location, '/home');
  });

  it('tiktokReturnTo says Cache-Control: no-store (its redirect carries the new session cookie)', async () => {
    const res = await request(server).get('/done').set('x-return-to', '/account');
    assert.equal(res.headers['cache-control'], 'no-store');
  });
});
