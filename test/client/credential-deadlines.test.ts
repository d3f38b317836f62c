import assert from 'node:assert/strict';
import { TikTokAPIError } from '../../lib';
import { CredentialSource } from '../../lib/client/credentials';
import { authorize, useEmulator } from '../support/emulator';
import { runScript } from '../support/script-process';

const never = (): Promise<string> => new Promise<string>(() => undefined);

/** Settles within `ms`, or says it is still pending. */
function within(p: Promise<unknown>, ms: number): Promise<string> {
  return Promise.race([
    p.then(
      () => 'resolved',
      (err: unknown) => (err instanceof TikTokAPIError ? err.code : String(err)),
    ),
    new Promise<string>((resolve) => setTimeout(() => resolve('pending'), ms)),
  ]);
}

describe('TikTokClient', () => {
  describe('a credential function that never answers', () => {
    const h = useEmulator();

    it('the operation ends at its deadline with SERVICE_UNAVAILABLE, nothing sent', async () => {
      const client = h.client({ clientSecret: never });
      const { code, codeVerifier } = await authorize(client);
      const started = Date.now();
      const outcome = await within(
        client.exchangeCodeForTokens(code, { codeVerifier, deadlineAt: Date.now() + 300 }),
        2000,
      );
      assert.equal(outcome, 'SERVICE_UNAVAILABLE');
      assert.ok(Date.now() - started < 1000, `${Date.now() - started} ms`);
      assert.equal(h.tt.count('token'), 0);
      const [line] = h.logger.events('failure');
      assert.match(String(line?.meta?.reason), /has not answered/);
    });

    it('refresh and revoke after a refetch hangs end at their deadlines too', async () => {
      let calls = 0;
      const client = h.client({
        credentialsTtlMs: 50,
        clientSecret: () => (++calls === 1 ? h.tt.clientSecret : never()),
      });
      await client.getClientAccessToken();
      await new Promise((resolve) => setTimeout(resolve, 80)); // the value's lifetime is over
      const [a, b] = await Promise.all([
        within(client.refreshAccessToken('rft.x', { deadlineAt: Date.now() + 200 }), 1500),
        within(client.revokeAccess('act.x', { deadlineAt: Date.now() + 200 }), 1500),
      ]);
      assert.deepEqual([a, b], ['SERVICE_UNAVAILABLE', 'SERVICE_UNAVAILABLE']);
      assert.equal(calls, 2, 'one refetch in flight for both');
    });

    // NOTE: in a CLI script the pending call is all the process has left: with unreferenced
    // timers Node exited 0 at once, the await never settled and the script's work was undone.
    it('in a script with nothing else to do, the operation still fails at its deadline, and the script exits', async () => {
      const outcome = await runScript(`
        const { TikTokClient } = require('./lib');
        const client = new TikTokClient({
          clientKey: 'key',
          clientSecret: () => new Promise(() => undefined),
          redirectUri: 'https://example.com/cb',
        });
        client.refreshAccessToken('rft.x', { deadlineAt: Date.now() + 300 })
          .then(() => console.log('resolved'), (err) => console.log(err.code));
      `);
      assert.equal(outcome.timedOut, false);
      assert.equal(outcome.stdout.trim(), 'SERVICE_UNAVAILABLE', outcome.stderr);
      assert.equal(outcome.code, 0);
      // The function's own 10 s limit does not hold the process once no operation waits.
      assert.ok(outcome.ms < 8000, `exited after ${outcome.ms} ms`);
    });

    it('in a script with nothing else to do, getAuthorizationUrl fails when the function gives up', async () => {
      // The function's 10 s limit, shortened for the test.
      const outcome = await runScript(`
        const { TikTokClient } = require('./lib');
        const client = new TikTokClient({
          clientKey: () => new Promise(() => undefined),
          clientSecret: 'secret',
          redirectUri: 'https://example.com/cb',
        });
        Reflect.set(Reflect.get(client, 'key'), 'fetchTimeoutMs', 200);
        client.getAuthorizationUrl()
          .then(() => console.log('resolved'), (err) => console.log(err.code + ': ' + err.message));
      `);
      assert.equal(outcome.timedOut, false);
      assert.match(
        outcome.stdout,
        /^SERVICE_UNAVAILABLE: .*did not answer within 200 ms/,
        outcome.stderr,
      );
      assert.equal(outcome.code, 0);
    });
  });

  describe('CredentialSource', () => {
    it('a fetch past its time limit fails (no value yet), or serves the previous value', async () => {
      const stale: TikTokAPIError[] = [];
      let answer: () => Promise<string> = never;
      const source = new CredentialSource(
        'clientSecret',
        () => answer(),
        40,
        () => undefined,
        (err) => stale.push(err),
        60,
      );
      const id = (): string => 'tiktok-1-00000001';
      await assert.rejects(Promise.resolve(source.resolve(id)), {
        code: 'SERVICE_UNAVAILABLE',
        message: /the clientSecret function did not answer within 60 ms/,
      });
      answer = () => Promise.resolve('secret-1');
      assert.equal((await source.resolve(id)).value, 'secret-1');
      await new Promise((resolve) => setTimeout(resolve, 50)); // lifetime over
      answer = never;
      assert.equal((await source.resolve(id)).value, 'secret-1', 'the previous value serves');
      assert.equal(stale.length, 1);
      assert.match(stale[0]?.message ?? '', /did not answer within 60 ms/);
    });

    it('a value TikTok refused while the refetch was pending is not served again when the refetch fails', async () => {
      let answer: () => Promise<string> = () => Promise.resolve('secret-1');
      const source = new CredentialSource(
        'clientSecret',
        () => answer(),
        40,
        () => undefined,
        () => undefined,
        60,
      );
      const id = (): string => 'tiktok-1-00000001';
      const first = await source.resolve(id);
      await new Promise((resolve) => setTimeout(resolve, 50)); // lifetime over: a refetch
      answer = never;
      const refetch = Promise.resolve(source.resolve(id));
      source.invalidate(first.generation); // TikTok answered invalid_client meanwhile
      await assert.rejects(refetch, { code: 'SERVICE_UNAVAILABLE' });
      answer = () => Promise.resolve('secret-2');
      assert.equal((await source.resolve(id)).value, 'secret-2', 'fetched, not the refused one');
    });
  });
});
