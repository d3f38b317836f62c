import assert from 'node:assert/strict';
import express from 'express';
import {
  MemoryClaimStore,
  MemoryRemovalList,
  MemoryTokenStore,
  TikTokTokenManager,
  tiktokWebhook,
  type TikTokRemovalList,
  type TikTokStateClaimStore,
} from '../../lib';
import { CaptureLogger } from '../support/capture-logger';
import { field } from '../support/json';
import { FakeTokenClient, makeTokens } from '../support/token-fixtures';
import { NOW_MS, postWebhook, webhookBody, WEBHOOK_SECRET } from '../support/webhooks';

const USER = 'open-id-webhook-1';

/**
 * A claim store and a removal list on one "connection" that drops right after the first call
 * `dropAfter` matches went through (it reached the store), so every later call fails until
 * `restore()`. `withHas: false` makes a claim store without the optional `has()`.
 */
function sharedConnection(withHas = true): {
  claims: TikTokStateClaimStore;
  removals: TikTokRemovalList & { inner: MemoryRemovalList };
  dropAfter(predicate: (call: string) => boolean): void;
  restore(): void;
  advance(ms: number): void;
} {
  let clock = NOW_MS;
  const inner = new MemoryClaimStore({ now: () => clock });
  const list = new MemoryRemovalList();
  let down = false;
  let trigger: ((call: string) => boolean) | undefined;
  const fail = (): Promise<never> => Promise.reject(new Error('connection lost'));
  const after = async <T>(call: string, run: () => Promise<T>): Promise<T> => {
    if (down) return fail();
    const value = await run();
    if (trigger?.(call) === true) {
      trigger = undefined;
      down = true;
    }
    return value;
  };
  const claims: TikTokStateClaimStore = {
    claim: (key, ttl) => after(`claim ${key}`, () => inner.claim(key, ttl)),
    release: (key) => after(`release ${key}`, () => inner.release(key)),
  };
  if (withHas) claims.has = (key) => after(`has ${key}`, () => inner.has(key));
  return {
    claims,
    removals: {
      inner: list,
      record: (id, at) => after(`record ${id}`, () => list.record(id, at)),
      removedAt: (id) => after(`removedAt ${id}`, () => list.removedAt(id)),
    },
    dropAfter: (p) => {
      trigger = p;
    },
    restore: () => {
      down = false;
      trigger = undefined;
    },
    advance: (ms) => {
      clock += ms;
    },
  };
}

async function setup(connection: ReturnType<typeof sharedConnection>) {
  const tokens = new TikTokTokenManager({
    client: new FakeTokenClient(USER),
    store: new MemoryTokenStore(),
    logger: new CaptureLogger(),
  });
  await tokens.save(USER, makeTokens(USER));
  const app = express();
  app.post(
    '/webhooks/tiktok',
    tiktokWebhook({
      clientSecret: WEBHOOK_SECRET,
      now: () => NOW_MS,
      removals: connection.removals,
      tokenManager: tokens,
      claimStore: connection.claims,
      logger: new CaptureLogger(),
    }),
  );
  return { app, tokens };
}

describe('tiktokWebhook', () => {
  describe('when its stores fail halfway through a delivery', () => {
    // Each case drops the connection right after the n-th of the five calls a delivery makes to
    // its claim store and removal list (lease, done-marker lookup, removal, done marker, lease
    // release): whatever the first delivery answered, TikTok's retry must leave the removal
    // applied.
    for (let n = 1; n <= 5; n++) {
      it(`connection lost right after call ${n}: after TikTok's retry the removal is applied`, async () => {
        const connection = sharedConnection();
        const { app, tokens } = await setup(connection);
        const body = webhookBody();
        let calls = 0;
        const seen: string[] = [];
        connection.dropAfter((c) => {
          seen.push(c);
          calls += 1;
          return calls === n;
        });
        const first = await postWebhook(app, body);
        assert.ok([200, 503].includes(first.status), `first answered ${first.status}`);
        assert.ok(calls >= n, `the connection dropped (calls: ${seen.join(', ')})`);
        connection.restore();
        connection.advance(60_000); // TikTok retries later: the lease has run out
        const retry = await postWebhook(app, body).expect(200);
        const calledThrough = seen.join(', ');
        assert.equal(
          await connection.removals.inner.removedAt(USER),
          NOW_MS,
          `removal lost (calls: ${calledThrough}; first ${first.status}, retry duplicate=${String(field(retry.body, 'duplicate'))})`,
        );
        assert.equal(await tokens.get(USER), undefined, 'tokens kept');
        // Done by now: the next delivery is a duplicate.
        const again = await postWebhook(app, body).expect(200);
        assert.equal(field(again.body, 'duplicate'), true);
      });
    }

    it('a claim store without has() is asked with a claim given back at once', async () => {
      const connection = sharedConnection(false);
      const { app } = await setup(connection);
      const body = webhookBody();
      const first = await postWebhook(app, body).expect(200);
      assert.equal(field(first.body, 'duplicate'), false);
      const again = await postWebhook(app, body).expect(200);
      assert.equal(field(again.body, 'duplicate'), true);
    });
  });
});
