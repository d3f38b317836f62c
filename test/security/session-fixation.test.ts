import assert from 'node:assert/strict';
import request from 'supertest';
import { field } from '../support/json';
import { useLoginFixture } from '../support/login-fixture';
import { consent, sessionCookie } from '../support/login-flow';

describe('security: session fixation (a planted session cookie)', () => {
  const fx = useLoginFixture();

  it("the attacker's session id is worthless once the victim has logged in with it", async () => {
    const server = fx.app.server;
    // The attacker gets a session id of their own…
    const own = await request(server).get('/auth/tiktok');
    const planted = sessionCookie(own);
    assert.ok(planted !== undefined);
    const cookie = `connect.sid=${planted}`;
    // …and plants it in the victim's browser, who then logs in with it.
    const start = await request(server).get('/auth/tiktok').set('Cookie', cookie);
    assert.equal(start.status, 302);
    const callback = await request(server)
      .get(await consent(new URL(String(start.headers.location))))
      .set('Cookie', cookie);
    assert.equal(callback.status, 302);
    const issued = sessionCookie(callback);
    assert.ok(issued !== undefined && issued !== planted, 'a new session id at login');
    const victim = await request(server).get('/me').set('Cookie', `connect.sid=${issued}`);
    assert.equal(field(victim.body, 'user', 'id'), 'emulator-open-id-1');
    const attacker = await request(server).get('/me').set('Cookie', cookie);
    assert.equal(field(attacker.body, 'user'), null, 'the planted id is not logged in');
    assert.notEqual(field(attacker.body, 'sessionID'), field(victim.body, 'sessionID'));
  });
});
