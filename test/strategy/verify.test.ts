import assert from 'node:assert/strict';
import { VERIFY_REFUSED_MESSAGE } from '../../lib/user-messages';
import type { Request } from 'express';
import {
  TikTokStrategy,
  type TikTokProfile,
  type TikTokStrategyOptions,
  type TikTokTokens,
  type TikTokVerifyCallback,
} from '../../lib';
import { fakeFetch } from '../support/fake-fetch';
import { field } from '../support/json';
import {
  loginThrough,
  STRATEGY_BASE,
  useStrategyHarnesses,
  tokenResponse,
  userInfoResponse,
  type Outcome,
} from '../support/strategy-harness';

type Options = Omit<TikTokStrategyOptions, 'passReqToCallback'>;

const BASE = STRATEGY_BASE;

describe('TikTokStrategy', () => {
  describe('callback', () => {
    describe('verify', () => {
      const harness = useStrategyHarnesses();

      /** One login against a scripted TikTok (token, then user info). */
      async function run(build: (options: Options) => TikTokStrategy): Promise<Outcome> {
        const fake = fakeFetch(tokenResponse(), userInfoResponse());
        const h = harness(build({ ...BASE, fetch: fake.fetch }));
        return loginThrough(h.browser());
      }

      describe('no verify', () => {
        it('the user is the profile', async () => {
          const result = await run((o) => new TikTokStrategy(o));
          assert.equal(result.outcome, 'success');
          assert.equal(field(result.user, 'provider'), 'tiktok');
          assert.equal(field(result.user, 'id'), 'open-1');
          assert.equal(field(result.user, 'displayName'), 'Unit User');
          assert.equal(field(result.info, 'correlationId') !== undefined, true);
          assert.deepEqual(field(result.info, 'grantedScopes'), ['user.info.basic']);
        });
      });

      describe('passport-oauth2 arities', () => {
        it('(accessToken, refreshToken, profile, done)', async () => {
          const result = await run(
            (o) =>
              new TikTokStrategy(o, (accessToken, refreshToken, profile, done) => {
                done(null, { accessToken, refreshToken, id: profile.id });
              }),
          );
          assert.deepEqual(result.user, {
            accessToken: 'act.unit-access',
            refreshToken: 'rft.unit-refresh',
            id: 'open-1',
          });
        });

        it('(accessToken, refreshToken, params, profile, done)', async () => {
          const verify = (
            accessToken: string,
            _refreshToken: string | undefined,
            params: TikTokTokens,
            profile: TikTokProfile,
            done: TikTokVerifyCallback,
          ): void =>
            done(null, {
              id: profile.id,
              openId: params.open_id,
              scope: params.scope,
              accessToken,
            });
          const result = await run((o) => new TikTokStrategy(o, verify));
          assert.deepEqual(result.user, {
            id: 'open-1',
            openId: 'open-1',
            scope: 'user.info.basic',
            accessToken: 'act.unit-access',
          });
        });

        it('passReqToCallback: (req, accessToken, refreshToken, profile, done)', async () => {
          const result = await run(
            (o) =>
              new TikTokStrategy(
                { ...o, passReqToCallback: true },
                (req, _at, _rt, profile, done) => {
                  done(null, {
                    id: profile.id,
                    path: req.path,
                    correlationId: req.tiktokCorrelationId,
                  });
                },
              ),
          );
          assert.equal(field(result.user, 'path'), '/auth/tiktok/callback');
          assert.equal(field(result.user, 'correlationId'), field(result.info, 'correlationId'));
        });

        it('passReqToCallback: (req, accessToken, refreshToken, params, profile, done)', async () => {
          const verify = (
            req: Request,
            _at: string,
            _rt: string | undefined,
            params: TikTokTokens,
            profile: TikTokProfile,
            done: TikTokVerifyCallback,
          ): void =>
            done(null, { id: profile.id, expiresIn: params.expires_in, method: req.method });
          const result = await run(
            (o) => new TikTokStrategy({ ...o, passReqToCallback: true }, verify),
          );
          assert.deepEqual(result.user, { id: 'open-1', expiresIn: 86400, method: 'GET' });
        });
      });

      describe('async verify', () => {
        it('returns the user', async () => {
          const result = await run(
            (o) =>
              new TikTokStrategy(o, async (_at, _rt, profile) => {
                await Promise.resolve();
                return { id: `user:${profile.id}` };
              }),
          );
          assert.deepEqual(result.user, { id: 'user:open-1' });
        });

        it('returns false → fail ACCESS_DENIED (403)', async () => {
          const result = await run(
            (o) =>
              new TikTokStrategy(o, async () => {
                await Promise.resolve();
                return false;
              }),
          );
          assert.equal(result.outcome, 'fail');
          assert.equal(result.status, 403);
          assert.equal(field(result.info, 'code'), 'ACCESS_DENIED');
        });

        it('throws → error with that error', async () => {
          const result = await run(
            (o) =>
              new TikTokStrategy(o, async () => {
                await Promise.resolve();
                throw new Error('database down');
              }),
          );
          assert.equal(result.outcome, 'error');
          assert.equal(field(result.error, 'message'), 'database down');
        });
      });

      describe("verify's done", () => {
        it("done(null, false, { message }) → fail with verify's message", async () => {
          const result = await run(
            (o) =>
              new TikTokStrategy(o, (_at, _rt, _p, done) =>
                done(null, false, { message: 'Banned.' }),
              ),
          );
          assert.equal(result.outcome, 'fail');
          assert.deepEqual(
            {
              code: field(result.info, 'code'),
              message: field(result.info, 'message'),
              status: result.status,
            },
            { code: 'ACCESS_DENIED', message: 'Banned.', status: 403 },
          );
        });

        it('done(null, false) or an empty message → fail with the refusal message, not "you cancelled"', async () => {
          for (const info of [undefined, { message: '' }, { message: '  ' }]) {
            const result = await run(
              (o) => new TikTokStrategy(o, (_at, _rt, _p, done) => done(null, false, info)),
            );
            assert.equal(result.outcome, 'fail');
            assert.equal(field(result.info, 'code'), 'ACCESS_DENIED');
            assert.equal(field(result.info, 'message'), VERIFY_REFUSED_MESSAGE);
          }
        });

        it('done(err) → error', async () => {
          const result = await run(
            (o) => new TikTokStrategy(o, (_at, _rt, _p, done) => done(new Error('nope'))),
          );
          assert.equal(result.outcome, 'error');
          assert.equal(field(result.error, 'message'), 'nope');
        });

        it('a synchronous throw → error', async () => {
          const result = await run(
            (o) =>
              new TikTokStrategy(o, () => {
                throw new Error('sync boom');
              }),
          );
          assert.equal(field(result.error, 'message'), 'sync boom');
        });

        describe("read as passport-oauth2's verified() reads it (truthiness)", () => {
          /** verify's `done` as JavaScript apps call it: any values. */
          type LooseDone = (err: unknown, user?: unknown, info?: unknown) => void;
          function runDone(
            call: (done: LooseDone, profile: TikTokProfile) => void,
          ): Promise<Outcome> {
            return run(
              (o) =>
                new TikTokStrategy(o, (_at, _rt, profile, done) => {
                  call(done as LooseDone, profile);
                }),
            );
          }

          it('done(false, user) logs the user in: a falsy err is no error', async () => {
            for (const err of [false, 0, '']) {
              const result = await runDone((done, p) => done(err, { id: p.id }));
              assert.equal(result.outcome, 'success', String(err));
              assert.deepEqual(result.user, { id: 'open-1' });
            }
          });

          it('done(null, false, "a string") → 403 ACCESS_DENIED with that string as the message', async () => {
            const result = await runDone((done) => done(null, false, 'Account suspended'));
            assert.equal(result.outcome, 'fail');
            assert.equal(result.status, 403);
            assert.equal(field(result.info, 'code'), 'ACCESS_DENIED');
            assert.equal(field(result.info, 'message'), 'Account suspended');
          });

          it('done(null, false, info) with a non-object info → 403 with the refusal message, not a 500', async () => {
            for (const info of [null, 42, true, '', ' ']) {
              const result = await runDone((done) => done(null, false, info));
              assert.equal(result.outcome, 'fail', JSON.stringify(info));
              assert.equal(result.status, 403);
              assert.equal(field(result.info, 'message'), VERIFY_REFUSED_MESSAGE);
            }
          });

          it('done(false, null, "User not found.") is a refusal, not an error', async () => {
            const result = await runDone((done) => done(false, null, 'User not found.'));
            assert.equal(result.outcome, 'fail');
            assert.equal(field(result.info, 'message'), 'User not found.');
          });

          it("a falsy user ('', 0) is a refusal, as passport-oauth2's `if (!user) fail`", async () => {
            for (const user of ['', 0]) {
              const result = await runDone((done) => done(null, user));
              assert.equal(result.outcome, 'fail', JSON.stringify(user));
              assert.equal(field(result.info, 'code'), 'ACCESS_DENIED');
            }
          });

          it("a user's non-object info is not spread into req.authInfo", async () => {
            const result = await runDone((done, p) => done(null, { id: p.id }, 'welcome'));
            assert.equal(result.outcome, 'success');
            assert.equal(field(result.info, '0'), undefined);
            assert.equal(typeof field(result.info, 'correlationId'), 'string');
          });
        });

        it('info from done(null, user, info) is kept next to returnTo/correlationId', async () => {
          const result = await run(
            (o) =>
              new TikTokStrategy(o, (_at, _rt, p, done) =>
                done(null, { id: p.id }, { firstLogin: true }),
              ),
          );
          assert.equal(field(result.info, 'firstLogin'), true);
          assert.equal(typeof field(result.info, 'correlationId'), 'string');
        });
      });
    });
  });
});
