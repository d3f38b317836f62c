import assert from 'node:assert/strict';
import type { TikTokClient } from '../../lib/client/client';
import { TikTokAPIError } from '../../lib/errors';
import { TikTokTokenManager } from '../../lib/tokens/manager';
import type { TokenStore } from '../../lib/tokens/store';
import type { TikTokTokens } from '../../lib/client/types';
import {
  emulatorClient,
  expiredGrant,
  testMetrics,
  tokensFromEmulator,
} from '../support/token-fixtures';
import { useEmulator } from '../support/emulator';
import { rejectsWith } from '../support/token-harness';
import type { StoreKind } from '../support/token-store-kinds';

const isRefresh = (r: { grantType?: string }): boolean => r.grantType === 'refresh_token';

export function describeRefreshAgainstEmulator(kind: StoreKind): void {
  describe('TikTokTokenManager', () => {
    describe('refresh against the emulator', () => {
      const emulator = useEmulator({ autoApprove: false });
      let client: TikTokClient;
      before(() => {
        client = emulatorClient(emulator.tt);
      });

      const refreshCalls = (): number => emulator.tt.count('token', { grantType: 'refresh_token' });

      {
        describe(`with ${kind.name}`, () => {
          let store: TokenStore;
          before(async function () {
            await kind.setup(this);
            store = kind.create();
          });
          after(() => kind.teardown());

          function setup(): {
            openId: string;
            manager: TikTokTokenManager;
            outcomes: () => Promise<Record<string, number>>;
          } {
            const { metrics, refreshOutcomes } = testMetrics();
            return {
              openId: emulator.tt.addUser().openId,
              manager: new TikTokTokenManager({ client, store, metrics }),
              outcomes: refreshOutcomes,
            };
          }

          /**
           * A user whose access token has expired, saved through a manager whose client gives up
           * on an attempt after 300 ms (the manager may let a refresh wait longer, within its
           * lock lease of `lockTtlMs`).
           */
          async function expiredWithSlowTikTok(lockTtlMs?: number): Promise<{
            openId: string;
            old: TikTokTokens;
            manager: TikTokTokenManager;
            outcomes: () => Promise<Record<string, number>>;
          }> {
            const openId = emulator.tt.addUser().openId;
            const { metrics, refreshOutcomes } = testMetrics();
            const manager = new TikTokTokenManager({
              client: emulatorClient(emulator.tt, { timeoutMs: 300 }),
              store,
              metrics,
              ...(lockTtlMs === undefined ? {} : { lockTtlMs }),
            });
            const old = expiredGrant(emulator.tt, openId);
            await manager.save(openId, old);
            return { openId, old, manager, outcomes: refreshOutcomes };
          }

          it('100 concurrent getAccessToken for one expired user make one refresh call', async () => {
            const { openId, manager, outcomes } = setup();
            await manager.save(openId, expiredGrant(emulator.tt, openId));
            const tokens = await Promise.all(
              Array.from({ length: 100 }, () => manager.getAccessToken(openId)),
            );
            assert.equal(refreshCalls(), 1);
            assert.equal(new Set(tokens).size, 1);
            assert.equal(tokens[0], (await store.get(openId))?.tokens.access_token);
            assert.equal(
              (await client.getUserInfo(tokens[0] ?? '')).open_id,
              openId,
              'TikTok accepts the new token',
            );
            assert.deepEqual(await outcomes(), { success: 1 });
          });

          it('two instances refreshing tokens that live shorter than refreshSkewMs make one refresh call', async () => {
            const { openId } = setup();
            // A skew longer than the emulator's token lifetime (24 h): every token is "due".
            const skew = { refreshSkewMs: 2 * 24 * 3600 * 1000 };
            const a = new TikTokTokenManager({ client, store, ...skew });
            const b = new TikTokTokenManager({ client, store, ...skew });
            await a.save(openId, expiredGrant(emulator.tt, openId));
            // The refresh takes a while, so the other instance waits for the lock meanwhile.
            emulator.tt.inject('token', { delayMs: 300, match: isRefresh, times: 1 });
            const [fromA, fromB] = await Promise.all([
              a.getAccessToken(openId),
              b.getAccessToken(openId),
            ]);
            assert.equal(refreshCalls(), 1, 'the waiting instance uses the refreshed tokens');
            assert.equal(fromA, fromB);
            // A later call still refreshes: the skew applies to tokens this call read itself.
            await a.getAccessToken(openId);
            assert.equal(refreshCalls(), 2);
          });

          it('the rotated refresh token is persisted before the new access token is returned', async () => {
            const { openId } = setup();
            const old = expiredGrant(emulator.tt, openId);
            const events: string[] = [];
            const recording: TokenStore = {
              get: (id) => store.get(id),
              delete: (id, v) => store.delete(id, v),
              acquireLock: (id, ttl) => store.acquireLock(id, ttl),
              releaseLock: (id, token) => store.releaseLock(id, token),
              async compareAndSet(id, version, tokens) {
                const written = await store.compareAndSet(id, version, tokens);
                if (written)
                  events.push(
                    `stored ${tokens.refresh_token === old.refresh_token ? 'old' : 'rotated'} refresh token`,
                  );
                return written;
              },
            };
            const manager = new TikTokTokenManager({ client, store: recording });
            await manager.save(openId, old);
            events.length = 0;
            const access = await manager.getAccessToken(openId);
            events.push('access token returned');
            assert.deepEqual(events, ['stored rotated refresh token', 'access token returned']);
            const stored = (await store.get(openId))?.tokens;
            assert.equal(stored?.access_token, access);
            assert.notEqual(stored?.refresh_token, old.refresh_token);
            await rejectsWith(client.refreshAccessToken(old.refresh_token ?? ''), 'INVALID_TOKEN'); // rotated away
          });

          // A refresh answer TikTok has sent carries the rotated refresh token: refusing it for
          // a field the manager can do without would end the grant at the next refresh.
          it('a refresh answer without open_id, expires_in "86400.0": the rotated tokens are stored for the grant', async () => {
            const { openId, manager, outcomes } = setup();
            await manager.save(openId, expiredGrant(emulator.tt, openId));
            emulator.tt.inject('token', {
              body: {
                access_token: 'act.rotated-no-open-id',
                refresh_token: 'rft.rotated-no-open-id',
                expires_in: '86400.0',
                refresh_expires_in: 31536000,
                scope: 'user.info.basic',
                token_type: 'Bearer',
              },
              match: isRefresh,
            });
            const before = Date.now();
            assert.equal(await manager.getAccessToken(openId), 'act.rotated-no-open-id');
            const stored = (await store.get(openId))?.tokens;
            assert.equal(stored?.open_id, openId);
            assert.equal(stored?.refresh_token, 'rft.rotated-no-open-id');
            assert.equal(stored?.expires_in, 86400);
            assert.ok(stored !== undefined && stored.expires_at >= before + 86_400_000);
            assert.deepEqual(await outcomes(), { success: 1 });
          });

          it("a refresh answer naming another open_id: MALFORMED_RESPONSE, the grant's tokens kept", async () => {
            const { openId, manager } = setup();
            const old = expiredGrant(emulator.tt, openId);
            await manager.save(openId, old);
            const other = emulator.tt.issueTokens(emulator.tt.addUser().openId);
            emulator.tt.inject('token', {
              body: { ...other, expires_in: 86400 },
              match: isRefresh,
            });
            const err = await rejectsWith(manager.getAccessToken(openId), 'MALFORMED_RESPONSE');
            assert.match(err.message, /open_id differs from the grant that was refreshed/);
            assert.equal((await store.get(openId))?.tokens.refresh_token, old.refresh_token);
          });

          it('refresh gets 5xx while the access token is still valid: the old token is served, tokens kept', async () => {
            const { openId, manager, outcomes } = setup();
            const grant = emulator.tt.issueTokens(openId);
            const tokens = { ...tokensFromEmulator(grant), expires_at: Date.now() + 60_000 }; // within the skew
            await manager.save(openId, tokens);
            emulator.tt.inject('token', {
              status: 503,
              body: { error: 'temporarily_unavailable' },
              times: 3,
              match: isRefresh,
            });
            assert.equal(await manager.getAccessToken(openId), grant.access_token);
            assert.equal(refreshCalls(), 3, 'the client retried the 503s');
            assert.deepEqual((await store.get(openId))?.tokens, tokens);
            assert.deepEqual(await outcomes(), { API_ERROR: 1 });
            const after = await manager.refresh(openId);
            assert.notEqual(
              after.refresh_token,
              grant.refresh_token,
              'the kept refresh token still works',
            );
          });

          it('refresh token expired: TOKEN_EXPIRED without a TikTok call', async () => {
            const { openId, manager } = setup();
            const grant = emulator.tt.issueTokens(openId);
            emulator.tt.expireAccessToken(grant.access_token);
            emulator.tt.expireRefreshToken(grant.refresh_token);
            await manager.save(openId, {
              ...tokensFromEmulator(grant),
              expires_at: Date.now() - 1,
              refresh_expires_at: Date.now() - 1,
            });
            await rejectsWith(manager.getAccessToken(openId), 'TOKEN_EXPIRED');
            assert.equal(refreshCalls(), 0);
          });

          it('INVALID_TOKEN from refresh (refresh token already used): the grant is deleted', async () => {
            const { openId, manager } = setup();
            const tokens = expiredGrant(emulator.tt, openId);
            await manager.save(openId, tokens);
            await client.refreshAccessToken(tokens.refresh_token ?? ''); // someone else rotated it
            const err = await rejectsWith(manager.getAccessToken(openId), 'INVALID_TOKEN');
            assert.match(err.message, /log in again/);
            assert.equal(err.tiktokError?.error, 'invalid_grant');
            assert.equal(await store.get(openId), undefined);
            assert.equal(refreshCalls(), 2, 'one attempt: INVALID_TOKEN is not retried');
          });

          // TikTok answered the refresh, the answer was lost: the refresh token has rotated, the
          // new tokens are gone with the answer (docs/emulator.md, "Faults: was the request
          // processed?"). The grant is over: the user logs in again.
          it('refresh answer lost (reset mid-response): the retry is refused, INVALID_TOKEN (its cause says why), the grant deleted', async () => {
            const { openId, old: tokens, manager, outcomes } = await expiredWithSlowTikTok();
            emulator.tt.inject('token', { reset: 'mid-body', match: isRefresh, times: 1 });
            const err = await rejectsWith(manager.getAccessToken(openId), 'INVALID_TOKEN');
            assert.match(err.message, /the grant is over, log in again\.$/);
            // The client's error, kept as the cause, says the lost attempt rotated the token.
            assert.ok(err.cause instanceof TikTokAPIError);
            assert.match(
              err.cause.message,
              /The earlier attempt that got no answer may have rotated the refresh token/,
            );
            assert.equal(refreshCalls(), 2, 'one retry after the lost answer, refused');
            assert.equal(await store.get(openId), undefined, 'the dead grant is deleted');
            await rejectsWith(
              client.refreshAccessToken(tokens.refresh_token ?? ''),
              'INVALID_TOKEN',
            );
            assert.deepEqual(await outcomes(), { INVALID_TOKEN: 1 });
          });

          it('refresh answered only after the lock lease: a timeout, the tokens kept; the next refresh finds the grant over', async () => {
            // The refresh waits for TikTok's answer until shortly before this 2 s lease ends.
            const { openId, manager, outcomes } = await expiredWithSlowTikTok(2000);
            emulator.tt.inject('token', { delayMs: 2500, match: isRefresh, times: 1 });
            // No time left in the lease for a retry: a transient failure, nothing deleted.
            await rejectsWith(manager.getAccessToken(openId), 'TIMEOUT_ERROR');
            assert.equal(refreshCalls(), 1);
            assert.notEqual(await store.get(openId), undefined, 'kept: TikTok did not say');
            // TikTok did rotate: the next refresh sends the spent token and is refused.
            await rejectsWith(manager.getAccessToken(openId), 'INVALID_TOKEN');
            assert.equal(refreshCalls(), 2);
            assert.equal(await store.get(openId), undefined, 'the dead grant is deleted');
            assert.deepEqual(await outcomes(), { TIMEOUT_ERROR: 1, INVALID_TOKEN: 1 });
          });

          it('refresh answered after timeoutMs but within the lock lease: the attempt waits for it, the rotated tokens are stored', async () => {
            const { openId, old, manager, outcomes } = await expiredWithSlowTikTok(3000);
            emulator.tt.inject('token', { delayMs: 900, match: isRefresh, times: 1 });
            const access = await manager.getAccessToken(openId);
            assert.notEqual(access, old.access_token);
            assert.equal(refreshCalls(), 1, 'no retry with the spent refresh token');
            const stored = await store.get(openId);
            assert.equal(stored?.tokens.access_token, access);
            assert.notEqual(stored?.tokens.refresh_token, old.refresh_token);
            assert.deepEqual(await outcomes(), { success: 1 });
          });

          it("invalid_request from refresh (TikTok's answer to a bad refresh token): the grant is deleted", async () => {
            const { openId, manager, outcomes } = setup();
            await manager.save(openId, expiredGrant(emulator.tt, openId));
            emulator.tt.inject('token', {
              tiktokError: { error: 'invalid_request', description: 'Refresh token is invalid.' },
              match: isRefresh,
            });
            const err = await rejectsWith(manager.getAccessToken(openId), 'INVALID_TOKEN');
            assert.equal(
              err.message,
              'TikTok rejected the refresh token with invalid_request (revoked, expired, already used or invalid): the grant is over, log in again.',
            );
            assert.equal(err.tiktokError?.error, 'invalid_request');
            assert.equal(await store.get(openId), undefined, 'stored tokens deleted');
            assert.equal(refreshCalls(), 1);
            const later = await rejectsWith(manager.getAccessToken(openId), 'INVALID_TOKEN');
            assert.match(later.message, /No TikTok tokens are stored for this user/);
            assert.equal(refreshCalls(), 1, 'no refresh on every later call');
            assert.deepEqual(await outcomes(), { INVALID_TOKEN: 1 });
          });

          it('invalid_client from refresh: INVALID_CREDENTIALS, the tokens are kept', async () => {
            const { openId, manager } = setup();
            const tokens = expiredGrant(emulator.tt, openId);
            await manager.save(openId, tokens);
            emulator.tt.inject('token', {
              tiktokError: { error: 'invalid_client', description: 'Client secret is invalid.' },
              match: isRefresh,
            });
            const err = await rejectsWith(manager.getAccessToken(openId), 'INVALID_CREDENTIALS');
            assert.equal(err.tiktokError?.error, 'invalid_client');
            assert.equal((await store.get(openId))?.tokens.refresh_token, tokens.refresh_token);
            const fresh = await manager.getAccessToken(openId);
            assert.notEqual(
              fresh,
              tokens.access_token,
              'the kept grant refreshes once TikTok agrees',
            );
          });
        });
      }
    });
  });
}
