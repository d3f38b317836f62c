import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import express from 'express';
import request from 'supertest';
import { getTikTokLoginFailure, tiktokReturnTo } from '../../../lib';
import { field } from '../../support/json';
import { LOGIN_FAILURE_KEY } from '../../../lib/state/login-failure';

describe('getTikTokLoginFailure and tiktokReturnTo', () => {
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

  it('ignores a tampered record', async () => {
    const res = await request(server)
      .get('/login')
      .set('x-stored', JSON.stringify({ code: 'NOT_A_CODE', correlationId: 'c-1' }));
    assert.deepEqual(res.body, { first: null, second: null });
  });

  it('falls back on ?error=&correlationId= (duplicates refused)', async () => {
    const ok = await request(server).get('/login?error=RATE_LIMIT&correlationId=c-2');
    assert.equal(field(ok.body, 'first', 'code'), 'RATE_LIMIT');
    const dup = await request(server).get(
      '/login?error=RATE_LIMIT&error=API_ERROR&correlationId=c-2',
    );
    assert.equal(field(dup.body, 'first'), null);
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
});
