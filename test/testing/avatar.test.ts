import assert from 'node:assert/strict';
import { startTikTokEmulator, type TikTokEmulator } from '../../lib/testing';
import { get, jsonObject, userInfo } from './helpers';

describe('emulator: avatar', () => {
  let tt: TikTokEmulator;

  before(async () => {
    tt = await startTikTokEmulator({
      users: [{}, { openId: 'odd/<id>', displayName: 'zoé <b>dupont</b> junior' }],
    });
  });
  after(() => tt.close());
  beforeEach(() => tt.reset());

  it('serves each avatar URL of user info as an SVG of its size', async () => {
    const { access_token } = tt.issueTokens('emulator-open-id-1');
    const body = await jsonObject(
      await userInfo(tt, access_token, 'avatar_url,avatar_url_100,avatar_large_url'),
    );
    const data: unknown = body.data;
    const user: unknown = typeof data === 'object' && data !== null ? Reflect.get(data, 'user') : 0;
    assert.ok(typeof user === 'object' && user !== null);
    for (const [field, size] of [
      ['avatar_url', '168'],
      ['avatar_url_100', '100'],
      ['avatar_large_url', '720'],
    ] as const) {
      const url: unknown = Reflect.get(user, field);
      assert.ok(typeof url === 'string', field);
      const response = await get(url);
      assert.equal(response.status, 200, url);
      assert.equal(response.headers.get('content-type'), 'image/svg+xml; charset=utf-8');
      assert.equal(response.headers.get('cache-control'), 'public, max-age=86400');
      assert.equal(response.headers.get('x-content-type-options'), 'nosniff');
      assert.equal(
        response.headers.get('content-security-policy'),
        "default-src 'none'; style-src 'unsafe-inline'",
      );
      assert.match(response.headers.get('etag') ?? '', /^"[\w-]{22}"$/);
      const svg = await response.text();
      assert.ok(
        svg.startsWith(`<svg xmlns="http://www.w3.org/2000/svg" width="${size}" height="${size}"`),
      );
      assert.match(svg, />EU<\/text><\/svg>$/);
    }
  });

  it('derives a stable colour from the open_id and escapes the initials and label', async () => {
    const [first, second] = tt.users;
    assert.ok(first !== undefined && second !== undefined);
    assert.equal(second.avatarUrl, `${tt.url}/emulator/avatar/odd%2F%3Cid%3E.svg`);
    const one = await (await get(first.avatarUrl)).text();
    const again = await (await get(first.avatarUrl)).text();
    const other = await (await get(second.avatarUrl)).text();
    assert.equal(one, again);
    const fill = (svg: string): string | undefined => /<circle [^>]*fill="([^"]+)"/.exec(svg)?.[1];
    assert.match(fill(one) ?? '', /^hsl\(\d{1,3}, 62%, 46%\)$/);
    assert.notEqual(fill(one), fill(other));
    assert.match(other, /aria-label="zoé &lt;b&gt;dupont&lt;\/b&gt; junior"/);
    assert.match(other, />Z&lt;<\/text>/);
    assert.ok(!other.includes('<b>'));
  });

  it('leaves out of the SVG the characters XML refuses (a display name with control characters)', async () => {
    // XML 1.0 refuses U+0000-U+0008, U+000B, U+000C, U+000E-U+001F, U+FFFE and U+FFFF even as
    // references: one in the label made the image unreadable.
    const user = tt.addUser({ displayName: '\u0007bell \u0000nul\tok \uffff' });
    const svg = await (await get(user.avatarUrl)).text();
    assert.match(svg, /aria-label="\uFFFDbell \uFFFDnul\tok \uFFFD"/);
    assert.match(svg, />\uFFFD\uFFFD<\/text>/);
    // eslint-disable-next-line no-control-regex
    assert.doesNotMatch(svg, /[\u0000-\u0008\u000b\u000c\u000e-\u001f\ufffe\uffff]/);
  });

  it('answers 404 for an unknown user or size, 405 for POST; HEAD has the headers only', async () => {
    const missing = await get(`${tt.url}/emulator/avatar/nobody.svg`);
    assert.equal(missing.status, 404);
    assert.equal(await missing.text(), 'No user has this open_id.');
    const size = await get(`${tt.users[0]?.avatarUrl ?? ''}?size=9000`);
    assert.equal(size.status, 404);
    assert.equal(await size.text(), 'Unknown avatar size.');
    const badEscape = await get(`${tt.url}/emulator/avatar/%E0%A4%A.svg`);
    assert.equal(badEscape.status, 404);
    const post = await fetch(tt.users[0]?.avatarUrl ?? '', { method: 'POST' });
    assert.equal(post.status, 405);
    assert.equal(post.headers.get('allow'), 'GET, HEAD');
    const head = await fetch(tt.users[0]?.avatarUrl ?? '', { method: 'HEAD' });
    assert.equal(head.status, 200);
    assert.equal(head.headers.get('content-type'), 'image/svg+xml; charset=utf-8');
    assert.equal(await head.text(), '');
  });
});
