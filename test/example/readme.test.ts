// README's "The TikTok emulator" snippet, run against the real example app: keep the two in step
// (only the import path of createApp differs). It type-checks and runs with the rest.
import assert from 'node:assert/strict';
import { startTikTokEmulator, type TikTokEmulator } from 'passport-tiktok/testing';
import request from 'supertest';
import { createApp, type ExampleApp } from '../../example/app';

describe('Log in with TikTok (README snippet)', () => {
  let tt: TikTokEmulator;
  let example: ExampleApp;

  before(async () => {
    const callbackURL = 'http://127.0.0.1:3000/auth/tiktok/callback';
    // port 0: ephemeral; the callback is registered, as on TikTok's developer portal
    tt = await startTikTokEmulator({ autoApprove: true, redirectUris: [callbackURL] });
    example = createApp({
      clientKey: tt.clientKey,
      clientSecret: tt.clientSecret,
      callbackURL,
      ...tt.endpoints, // authorizationURL, tokenURL, revokeURL, userInfoURL
    });
  });
  afterEach(() => tt.reset()); // faults, recorded requests, consent, grants
  after(async () => {
    await example.close();
    await tt.close(); // also ends hung requests, so mocha exits
  });

  it('logs in', async () => {
    const agent = request.agent(example.app);
    const start = await agent.get('/auth/tiktok').expect(302);
    const approved = await fetch(String(start.headers.location), { redirect: 'manual' });
    const callback = new URL(approved.headers.get('location') ?? '');
    await agent.get(callback.pathname + callback.search).expect(302);
    assert.equal(tt.count('token', { grantType: 'authorization_code' }), 1);
  });
});
