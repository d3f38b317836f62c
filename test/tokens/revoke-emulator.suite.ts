import assert from 'node:assert/strict';
import type { TikTokClient } from '../../lib/client/client';
import { TikTokTokenManager } from '../../lib/tokens/manager';
import type { TokenStore } from '../../lib/tokens/store';
import { emulatorClient, expiredGrant, tokensFromEmulator } from '../support/token-fixtures';
import { useEmulator } from '../support/emulator';
import { rejectsWith } from '../support/token-harness';
import type { StoreKind } from '../support/token-store-kinds';

export function describeRevokeAgainstEmulator(kind: StoreKind): void {
  describe('TikTokTokenManager', () => {
    describe('#revoke', () => {
      describe('against the emulator', () => {
        const emulator = useEmulator({ autoApprove: false });
        let client: TikTokClient;
        before(() => {
          client = emulatorClient(emulator.tt);
        });

        /** The `token` form field of every revoke request TikTok received. */
        const revokedTokens = (): Array<string | undefined> =>
          emulator.tt.requests.filter((r) => r.endpoint === 'revoke').map((r) => r.form?.token);

        {
          describe(`with ${kind.name}`, () => {
            let store: TokenStore;
            let manager: TikTokTokenManager;
            before(async function () {
              await kind.setup(this);
              store = kind.create();
              manager = new TikTokTokenManager({ client, store });
            });
            after(() => kind.teardown());

            async function loggedIn(): Promise<{
              openId: string;
              access: string;
              refresh: string;
            }> {
              const openId = emulator.tt.addUser().openId;
              const grant = emulator.tt.issueTokens(openId);
              await manager.save(openId, tokensFromEmulator(grant));
              return { openId, access: grant.access_token, refresh: grant.refresh_token };
            }

            it('ends the grant at TikTok and deletes the tokens locally', async () => {
              const { openId, access, refresh } = await loggedIn();
              await manager.revoke(openId);
              assert.deepEqual(revokedTokens(), [access]);
              assert.equal(await store.get(openId), undefined);
              await rejectsWith(client.getUserInfo(access), 'INVALID_TOKEN');
              await rejectsWith(client.refreshAccessToken(refresh), 'INVALID_TOKEN');
            });

            it('an already-revoked token: success, deleted locally', async () => {
              const { openId, access } = await loggedIn();
              await client.revokeAccess(access); // revoked elsewhere (another device, TikTok settings)
              await manager.revoke(openId); // refused with invalid_request (the emulator's answer)
              assert.equal(revokedTokens().length, 2);
              assert.equal(await store.get(openId), undefined);
            });

            it('an already-revoked token refused with invalid_grant instead: success too', async () => {
              const { openId, access } = await loggedIn();
              await client.revokeAccess(access);
              emulator.tt.inject('revoke', { tiktokError: { error: 'invalid_grant' } });
              await manager.revoke(openId);
              assert.equal(revokedTokens().length, 2);
              assert.equal(await store.get(openId), undefined);
            });

            it('revoke 503 then 200: retried, then success', async () => {
              const { openId, access } = await loggedIn();
              emulator.tt.inject('revoke', {
                status: 503,
                body: { error: 'temporarily_unavailable' },
              });
              await manager.revoke(openId);
              assert.deepEqual(revokedTokens(), [access, access]);
              await rejectsWith(client.getUserInfo(access), 'INVALID_TOKEN');
              assert.equal(await store.get(openId), undefined);
            });

            it('revoke keeps failing: logout completes locally, then the retryable error is rethrown', async () => {
              const { openId, access } = await loggedIn();
              emulator.tt.inject('revoke', {
                status: 503,
                body: { error: 'temporarily_unavailable' },
                times: 3,
              });
              const err = await rejectsWith(manager.revoke(openId), 'API_ERROR');
              assert.equal(err.retryable, true);
              assert.equal(revokedTokens().length, 3, 'every attempt was made');
              assert.equal(await store.get(openId), undefined, 'deleted locally anyway');
              assert.equal(
                (await client.getUserInfo(access)).open_id,
                openId,
                'the grant survived at TikTok',
              );
            });

            it('a refresh sent before the revoke but answered after it: its tokens are deleted too (TikTok ended them)', async () => {
              const { openId } = await loggedIn();
              const other = new TikTokTokenManager({ client, store });
              // TikTok rotates at once and answers 300 ms later; the revoke, sent 100 ms after
              // the refresh, ends every grant of the user, the rotated one included.
              emulator.tt.inject('token', { delayMs: 300, times: 1 });
              emulator.tt.inject('revoke', { delayMs: 600, times: 1 });
              const refreshing = other.refresh(openId);
              await new Promise((resolve) => setTimeout(resolve, 100));
              await manager.revoke(openId);
              await refreshing.catch(() => undefined);
              const stored = await store.get(openId);
              assert.equal(stored, undefined, 'no dead token left to serve');
              await rejectsWith(manager.getAccessToken(openId), 'INVALID_TOKEN');
            });

            it('an expired access token is refreshed first (TikTok refuses expired ones), then revoked', async () => {
              const openId = emulator.tt.addUser().openId;
              const expired = expiredGrant(emulator.tt, openId);
              await manager.save(openId, expired);
              await manager.revoke(openId);
              assert.equal(emulator.tt.count('token', { grantType: 'refresh_token' }), 1);
              const [revoked] = revokedTokens();
              assert.ok(
                revoked !== undefined && revoked !== expired.access_token,
                'the new access token was revoked',
              );
              await rejectsWith(client.getUserInfo(revoked), 'INVALID_TOKEN');
              assert.equal(await store.get(openId), undefined);
            });
          });
        }
      });
    });
  });
}
