import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { startTikTokEmulator, type TikTokEmulator } from '../../lib/testing';
import { userInfo } from './helpers';

/** A webhook URL that answers every POST with `status`. */
async function answering(status: number): Promise<{ server: Server; url: string }> {
  const server = createServer((req, res) => {
    req.resume();
    req.on('end', () => res.writeHead(status).end());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  assert.ok(typeof address === 'object' && address !== null);
  return { server, url: `http://127.0.0.1:${(address satisfies AddressInfo).port}/webhooks` };
}

describe('emulator: webhook-delivery', () => {
  let tt: TikTokEmulator;
  let app: { server: Server; url: string };

  before(async () => {
    app = await answering(503);
    tt = await startTikTokEmulator({
      webhookUrl: app.url,
      webhookRetry: { attempts: 3, baseDelayMs: 20, maxDelayMs: 20 },
    });
  });
  after(async () => {
    await tt.close();
    await new Promise<void>((resolve) => app.server.close(() => resolve()));
  });
  beforeEach(() => tt.reset());

  it('retries 12 concurrent copies without a MaxListenersExceededWarning', async () => {
    const warnings: Error[] = [];
    const onWarning = (warning: Error): void => {
      warnings.push(warning);
    };
    process.on('warning', onWarning);
    try {
      const deliveries = await tt.sendWebhook(
        { event: 'authorization.removed', userOpenId: tt.users[0]!.openId },
        { copies: 12, concurrent: true },
      );
      assert.deepEqual(
        deliveries.map((d) => [d.status, d.attempts.length]),
        Array.from({ length: 12 }, () => ['failed', 3]),
      );
      // process.emitWarning emits on the next tick.
      await new Promise((resolve) => setImmediate(resolve));
    } finally {
      process.off('warning', onWarning);
    }
    assert.deepEqual(
      warnings.filter((w) => w.name === 'MaxListenersExceededWarning').map((w) => w.message),
      [],
    );
  });

  it('removeAuthorization() checks its options before revoking anything', async () => {
    const { openId } = tt.users[0]!;
    const { access_token } = tt.issueTokens(openId);
    const misuses: [options: unknown, message: RegExp][] = [
      [
        { copies: 0 },
        /^TikTokEmulator\.removeAuthorization: options\.copies must be a positive integer \(got 0\)$/,
      ],
      [{ copies: 1.5 }, /options\.copies must be a positive integer \(got 1\.5\)/],
      [{ concurrent: 'yes' }, /options\.concurrent must be true or false \(got the string "yes"\)/],
      [null, /options must be an object \(\{ copies\?, concurrent\? \}\) \(got null\)/],
    ];
    for (const [options, message] of misuses) {
      // @ts-expect-error: deliberately not EmulatorWebhookSendOptions
      await assert.rejects(tt.removeAuthorization(openId, 1, options), {
        name: 'TypeError',
        message,
      });
    }
    assert.equal((await userInfo(tt, access_token, 'open_id')).status, 200, 'still authorized');
    assert.equal(tt.webhookDeliveries.length, 0);
  });
});
