import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { TikTokAPIError, verifyTikTokWebhook, isAuthorizationRemoved } from '../../lib';
import { signTikTokWebhook } from '../../lib/testing';
import {
  NOW_MS,
  NOW_S,
  WEBHOOK_CLIENT_KEY,
  WEBHOOK_SECRET,
  webhookBody,
} from '../support/webhooks';

const opts = { clientSecret: WEBHOOK_SECRET, now: NOW_MS };
const hex = (body: string, t: number, secret = WEBHOOK_SECRET): string =>
  createHmac('sha256', secret).update(`${t}.${body}`).digest('hex');

function refused(fn: () => unknown, code: string, message: RegExp): void {
  assert.throws(fn, (err: unknown) => {
    assert.ok(err instanceof TikTokAPIError, String(err));
    assert.equal(err.code, code);
    assert.match(err.message, message);
    assert.ok(!err.message.includes(WEBHOOK_SECRET));
    return true;
  });
}

describe('verifyTikTokWebhook', () => {
  describe('a genuine delivery', () => {
    it('returns the parsed authorization.removed event with content parsed and named', () => {
      const body = webhookBody('authorization.removed', { reason: 1 });
      const event = verifyTikTokWebhook(body, signTikTokWebhook(body, WEBHOOK_SECRET, NOW_S), opts);
      assert.ok(isAuthorizationRemoved(event));
      assert.deepEqual(event, {
        clientKey: WEBHOOK_CLIENT_KEY,
        event: 'authorization.removed',
        createTime: new Date(NOW_MS),
        userOpenId: 'open-id-webhook-1',
        content: { reason: 1, reasonName: 'user_disconnected' },
        raw: body,
      });
    });

    it('names every documented reason, and unknown numbers as unknown', () => {
      const names = [0, 1, 2, 3, 4, 5, 9].map((reason) => {
        const body = webhookBody('authorization.removed', { reason });
        const event = verifyTikTokWebhook(
          Buffer.from(body),
          `t=${NOW_S},s=${hex(body, NOW_S)}`,
          opts,
        );
        return isAuthorizationRemoved(event) ? event.content.reasonName : 'not removed';
      });
      assert.deepEqual(names, [
        'unknown',
        'user_disconnected',
        'account_deleted',
        'age_changed',
        'account_banned',
        'developer_revoked',
        'unknown',
      ]);
    });

    it('reads an authorization.removed whose content it cannot read as reason 0, unknown (the removal still applies)', () => {
      const removed = (content: string | object) => {
        const body = JSON.stringify({
          client_key: WEBHOOK_CLIENT_KEY,
          event: 'authorization.removed',
          create_time: NOW_S,
          user_openid: 'u',
          content,
        });
        const event = verifyTikTokWebhook(
          body,
          signTikTokWebhook(body, WEBHOOK_SECRET, NOW_S),
          opts,
        );
        assert.ok(isAuthorizationRemoved(event));
        assert.equal(event.userOpenId, 'u');
        return event.content;
      };
      const unknown = { reason: 0, reasonName: 'unknown' };
      assert.deepEqual(removed('{}'), unknown);
      assert.deepEqual(removed('{"reason":-1}'), unknown);
      assert.deepEqual(removed('{"reason":1.5}'), unknown);
      assert.deepEqual(removed('{"reason":null}'), unknown);
      assert.deepEqual(removed('[1]'), unknown);
      assert.deepEqual(removed('{reason: 1'), unknown);
      assert.deepEqual(removed({ reason: 1 }), unknown);
      // A reason sent as a digit string is read as the number.
      assert.deepEqual(removed('{"reason":"2"}'), { reason: 2, reasonName: 'account_deleted' });
    });

    it('accepts an unknown event with its content parsed but unchecked', () => {
      const body = webhookBody('something.new', [1, 'two']);
      const event = verifyTikTokWebhook(body, signTikTokWebhook(body, WEBHOOK_SECRET, NOW_S), opts);
      assert.equal(event.event, 'something.new');
      assert.deepEqual(event.content, [1, 'two']);
    });

    it('parses video.publish.completed content as an object', () => {
      const body = webhookBody('video.publish.completed', { publish_id: 'v_pub_1' });
      const event = verifyTikTokWebhook(body, signTikTokWebhook(body, WEBHOOK_SECRET, NOW_S), opts);
      assert.deepEqual(event.content, { publish_id: 'v_pub_1' });
    });

    it('tolerates spaces around the parts of the header, and uppercase hex', () => {
      const body = webhookBody();
      const header = ` t = ${NOW_S} ,  s = ${hex(body, NOW_S).toUpperCase()} `;
      assert.equal(verifyTikTokWebhook(body, header, opts).userOpenId, 'open-id-webhook-1');
    });

    it('accepts timestamps exactly at the edges of the tolerance window', () => {
      const body = webhookBody();
      for (const t of [NOW_S - 300, NOW_S + 300]) {
        assert.equal(
          verifyTikTokWebhook(body, signTikTokWebhook(body, WEBHOOK_SECRET, t), opts).event,
          'authorization.removed',
        );
      }
    });
  });

  describe('attacks and mistakes', () => {
    const body = webhookBody();

    it('forged signature (another secret) → INVALID_SIGNATURE 401', () => {
      refused(
        () => verifyTikTokWebhook(body, signTikTokWebhook(body, 'not-the-secret', NOW_S), opts),
        'INVALID_SIGNATURE',
        /does not match the body/,
      );
      try {
        verifyTikTokWebhook(body, signTikTokWebhook(body, 'x', NOW_S), opts);
      } catch (err) {
        assert.ok(err instanceof TikTokAPIError && err.statusCode === 401 && !err.retryable);
      }
    });

    it('a genuine signature over a different body → INVALID_SIGNATURE', () => {
      const other = webhookBody('authorization.removed', { reason: 1 }, 'victim-open-id');
      refused(
        () => verifyTikTokWebhook(other, signTikTokWebhook(body, WEBHOOK_SECRET, NOW_S), opts),
        'INVALID_SIGNATURE',
        /does not match/,
      );
    });

    it('the signature re-labelled with a fresh timestamp → INVALID_SIGNATURE (t is signed)', () => {
      refused(
        () => verifyTikTokWebhook(body, `t=${NOW_S + 1},s=${hex(body, NOW_S)}`, opts),
        'INVALID_SIGNATURE',
        /does not match/,
      );
    });

    it('a stale timestamp (replay) and a future one → INVALID_SIGNATURE naming the clock', () => {
      refused(
        () => verifyTikTokWebhook(body, signTikTokWebhook(body, WEBHOOK_SECRET, NOW_S - 301), opts),
        'INVALID_SIGNATURE',
        /301 s old \(tolerance 300 s\)/,
      );
      refused(
        () => verifyTikTokWebhook(body, signTikTokWebhook(body, WEBHOOK_SECRET, NOW_S + 301), opts),
        'INVALID_SIGNATURE',
        /301 s in the future/,
      );
      refused(
        () =>
          verifyTikTokWebhook(body, signTikTokWebhook(body, WEBHOOK_SECRET, NOW_S - 20), {
            ...opts,
            toleranceSeconds: 10,
          }),
        'INVALID_SIGNATURE',
        /20 s old/,
      );
    });

    const s = (): string => hex(body, NOW_S);
    const headerCases: [string, string | undefined, RegExp][] = [
      ['no header', undefined, /missing/],
      ['empty header', '', /missing/],
      ['missing t', `s=${s()}`, /exactly one t=/],
      ['missing s', `t=${NOW_S}`, /exactly one t=/],
      ['two s (one valid)', `t=${NOW_S},s=${'0'.repeat(64)},s=${s()}`, /exactly one/],
      ['two t', `t=${NOW_S},t=${NOW_S},s=${s()}`, /exactly one/],
      ['t not decimal', `t=0x1,s=${s()}`, /t=<epoch seconds>,s=<64 hex digits>/],
      ['s too short', `t=${NOW_S},s=${s().slice(0, 62)}`, /64 hex digits/],
      ['s not hex', `t=${NOW_S},s=${'z'.repeat(64)}`, /64 hex digits/],
      ['semicolons', `t=${NOW_S};s=${s()}`, /exactly one/],
      ['a 10 KB header', `t=${NOW_S},s=${s()},x=${'a'.repeat(10_000)}`, /malformed/],
    ];
    for (const [name, header, message] of headerCases) {
      it(`header variant: ${name} → INVALID_SIGNATURE`, () => {
        refused(() => verifyTikTokWebhook(body, header, opts), 'INVALID_SIGNATURE', message);
      });
    }

    const bodyCases: [string, string, RegExp][] = [
      ['non-JSON', 'client_key=x&event=y', /the body is not valid JSON/],
      ['a JSON array', '[]', /must be a JSON object/],
      [
        'content that is not JSON',
        JSON.stringify({
          client_key: 'k',
          event: 'video.upload.failed',
          create_time: NOW_S,
          user_openid: 'u',
          content: '{share_id: 1',
        }),
        /"content" is not valid JSON/,
      ],
      [
        'content an object, not a string',
        JSON.stringify({
          client_key: 'k',
          event: 'e',
          create_time: NOW_S,
          user_openid: 'u',
          content: { reason: 1 },
        }),
        /"content" must be a string/,
      ],
      [
        'no user_openid',
        JSON.stringify({ client_key: 'k', event: 'e', create_time: NOW_S, content: '{}' }),
        /"user_openid"/,
      ],
      [
        'create_time negative',
        JSON.stringify({
          client_key: 'k',
          event: 'e',
          create_time: -1,
          user_openid: 'u',
          content: '{}',
        }),
        /"create_time"/,
      ],
      [
        'video event with array content',
        webhookBody('video.upload.failed', [1]),
        /must be a JSON object/,
      ],
    ];
    for (const [name, raw, message] of bodyCases) {
      it(`validly signed but malformed body: ${name} → VALIDATION_ERROR 400`, () => {
        refused(
          () => verifyTikTokWebhook(raw, signTikTokWebhook(raw, WEBHOOK_SECRET, NOW_S), opts),
          'VALIDATION_ERROR',
          message,
        );
      });
    }

    it('invalid UTF-8 → VALIDATION_ERROR', () => {
      const raw = Buffer.concat([
        Buffer.from('{"a":"'),
        Buffer.from([0xff, 0xfe]),
        Buffer.from('"}'),
      ]);
      refused(
        () => verifyTikTokWebhook(raw, signTikTokWebhook(raw, WEBHOOK_SECRET, NOW_S), opts),
        'VALIDATION_ERROR',
        /could not be read/,
      );
    });

    it('an event for another client key → VALIDATION_ERROR when clientKey is set', () => {
      const header = signTikTokWebhook(body, WEBHOOK_SECRET, NOW_S);
      refused(
        () => verifyTikTokWebhook(body, header, { ...opts, clientKey: 'another-app' }),
        'VALIDATION_ERROR',
        /not this app's client key/,
      );
      assert.equal(
        verifyTikTokWebhook(body, header, { ...opts, clientKey: WEBHOOK_CLIENT_KEY }).clientKey,
        WEBHOOK_CLIENT_KEY,
      );
    });

    it('__proto__ in the body does not pollute prototypes', () => {
      const raw = `{"__proto__":{"polluted":1},"client_key":"k","event":"e","create_time":${NOW_S},"user_openid":"u","content":"{\\"__proto__\\":{\\"polluted\\":2}}"}`;
      const event = verifyTikTokWebhook(raw, signTikTokWebhook(raw, WEBHOOK_SECRET, NOW_S), opts);
      assert.equal(event.userOpenId, 'u');
      assert.equal(Reflect.get({}, 'polluted'), undefined);
    });

    it('__proto__ / constructor keys in content are dropped: an app copying content gets plain objects', () => {
      const content =
        '{"__proto__":{"isAdmin":true},"publish_id":"p1","nested":{"constructor":{"prototype":{"isAdmin":true}},"\\u005f_proto__":{"isAdmin":true},"ok":1}}';
      for (const name of ['video.publish.completed', 'some.future.event']) {
        const raw = JSON.stringify({
          client_key: 'k',
          event: name,
          create_time: NOW_S,
          user_openid: 'u',
          content,
        });
        const event = verifyTikTokWebhook(raw, signTikTokWebhook(raw, WEBHOOK_SECRET, NOW_S), opts);
        assert.deepEqual(event.content, { publish_id: 'p1', nested: { ok: 1 } }, name);
        const copy: Record<string, unknown> = Object.assign({}, event.content);
        assert.equal(Object.getPrototypeOf(copy), Object.prototype, name);
        assert.equal(copy.isAdmin, undefined, name);
      }
    });
  });

  describe('options', () => {
    it('a missing secret is a TypeError naming the option and TIKTOK_CLIENT_SECRET', () => {
      const saved = process.env.TIKTOK_CLIENT_SECRET;
      delete process.env.TIKTOK_CLIENT_SECRET;
      try {
        assert.throws(
          () => verifyTikTokWebhook('{}', 't=1,s=00', { now: NOW_MS }),
          /clientSecret option \(or the TIKTOK_CLIENT_SECRET/,
        );
      } finally {
        if (saved !== undefined) process.env.TIKTOK_CLIENT_SECRET = saved;
      }
    });

    it('reads TIKTOK_CLIENT_SECRET from the environment', () => {
      const saved = process.env.TIKTOK_CLIENT_SECRET;
      process.env.TIKTOK_CLIENT_SECRET = WEBHOOK_SECRET;
      try {
        const body = webhookBody();
        assert.equal(
          verifyTikTokWebhook(body, signTikTokWebhook(body, WEBHOOK_SECRET, NOW_S), { now: NOW_MS })
            .event,
          'authorization.removed',
        );
      } finally {
        if (saved === undefined) delete process.env.TIKTOK_CLIENT_SECRET;
        else process.env.TIKTOK_CLIENT_SECRET = saved;
      }
    });

    it('a secret with quotes or whitespace is a TypeError, never showing the value', () => {
      assert.throws(
        () =>
          verifyTikTokWebhook('{}', 't=1,s=00', { now: NOW_MS, clientSecret: ' spaced-canary' }),
        (err: unknown) => {
          assert.match(
            String(err),
            /^TypeError: verifyTikTokWebhook option clientSecret contains whitespace or quotes/,
          );
          assert.doesNotMatch(String(err), /canary/);
          return true;
        },
      );
    });

    it('toleranceSeconds must be a positive integer', () => {
      assert.throws(
        () => verifyTikTokWebhook('{}', undefined, { ...opts, toleranceSeconds: 0 }),
        /toleranceSeconds must be a positive integer/,
      );
    });
  });
});
