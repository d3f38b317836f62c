// The snippet of docs/emulator.md, run against the real example app: the two are kept in step
// (only the import path of createApp differs; the last test checks it). The docs' code-block test
// type-checks the snippet itself.
import assert from 'node:assert/strict';
import { startTikTokEmulator, type TikTokEmulator } from 'passport-tiktok/testing';
import request from 'supertest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createApp, type ExampleApp } from '../../example/app';
import { tsBlocks } from '../support/markdown';

describe('example app: /auth/tiktok', () => {
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
  afterEach(() => tt.reset()); // faults, requests, consent, grants, webhooks
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

describe('docs/emulator.md', () => {
  it('shows the test above, word for word but for the import path of createApp', () => {
    const root = join(__dirname, '..', '..');
    const snippet = tsBlocks(root, join('docs', 'emulator.md')).find((b) =>
      b.code.includes('startTikTokEmulator'),
    );
    assert.ok(snippet, 'docs/emulator.md has the emulator snippet');
    const body = (text: string): string =>
      text.slice(text.indexOf("describe('example app: /auth/tiktok'"));
    const self = readFileSync(__filename, 'utf8');
    assert.equal(
      body(snippet.code).trim(),
      body(self).slice(0, body(self).indexOf("\ndescribe('docs/emulator.md'")).trim(),
    );
  });
});
