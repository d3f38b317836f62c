import assert from 'node:assert/strict';
import { startTikTokEmulator, type TikTokEmulator } from '../../lib/testing';

describe('emulator: profile-page', () => {
  let tt: TikTokEmulator;
  before(async () => {
    tt = await startTikTokEmulator({
      users: [{}, { username: 'zoé <b>', displayName: 'Zoe <script>x</script>' }],
    });
  });
  after(() => tt.close());

  it("serves each user's default profile_deep_link as a page with its name", async () => {
    for (const user of tt.users) {
      const res = await fetch(user.profileDeepLink);
      assert.equal(res.status, 200, user.profileDeepLink);
      assert.equal(res.headers.get('content-type'), 'text/html; charset=utf-8');
      const html = await res.text();
      assert.ok(html.includes(`@${user.username.replace('<', '&lt;').replace('>', '&gt;')}`));
      assert.ok(!html.includes('<script>'), 'the display name is escaped');
    }
  });

  it('answers 404 for an unknown account and 405 for a POST, as text', async () => {
    const missing = await fetch(`${tt.url}/@nobody`);
    assert.equal(missing.status, 404);
    assert.equal(await missing.text(), "Couldn't find this account.");
    const bad = await fetch(`${tt.url}/@%E0%A4%A`);
    assert.equal(bad.status, 404);
    const post = await fetch(tt.users[0]?.profileDeepLink ?? '', { method: 'POST' });
    assert.equal(post.status, 405);
    assert.equal(post.headers.get('allow'), 'GET, HEAD');
    const other = await fetch(`${tt.url}/@a/b`);
    assert.equal(other.status, 404);
    assert.equal(await other.text(), 'Unsupported path(Janus)');
  });
});
