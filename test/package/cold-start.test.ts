import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { resolve } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);
const DIST = resolve(__dirname, '../../dist');

/** Runs `script` in a fresh Node process (dist/ as `pkg`) and returns what it printed as JSON. */
async function fresh(script: string, env: NodeJS.ProcessEnv = {}): Promise<unknown> {
  const prelude = `
    const pkg = require(${JSON.stringify(DIST)});
    const loaded = (name) => Object.keys(require.cache).some((f) =>
      f.includes('/node_modules/' + name + '/'));
    const ours = (part) => Object.keys(require.cache).some((f) => f.startsWith(${JSON.stringify(DIST)} + part));
  `;
  const { stdout } = await run(process.execPath, ['-e', `${prelude}\n${script}`], {
    env: { ...process.env, TIKTOK_LOG_LEVEL: 'info', NODE_OPTIONS: '', ...env },
    timeout: 20_000,
  });
  return JSON.parse(stdout);
}

// The package as users import it (dist/; `npm test` builds it first).
describe('package: cold start (what importing the package loads)', function () {
  this.timeout(30_000);

  it('the main entry loads neither winston, prom-client, undici nor the emulator', async () => {
    const seen = await fresh(`
      console.log(JSON.stringify({
        winston: loaded('winston'), prom: loaded('prom-client'), undici: loaded('undici'),
        testing: ours('/testing/'),
      }));`);
    assert.deepEqual(seen, { winston: false, prom: false, undici: false, testing: false });
  });

  it('the main entry is one file: importing it reads no other module of dist/', async () => {
    const seen = await fresh(`
      console.log(JSON.stringify(Object.keys(require.cache)
        .filter((f) => f.startsWith(${JSON.stringify(DIST)}))
        .map((f) => f.slice(${JSON.stringify(DIST)}.length))));`);
    assert.deepEqual(seen, ['/index.js']);
  });

  it('a strategy without a logger loads winston only at the first line it writes', async () => {
    const seen = await fresh(`
      const strategy = new pkg.TikTokStrategy(
        { clientKey: 'k', clientSecret: 's', callbackURL: 'https://app.example/cb' },
        (_a, _r, profile, done) => done(null, profile),
      );
      const logger = strategy.client ? strategy.client.logger : undefined;
      const afterConstruct = loaded('winston');
      const infoEnabled = logger.isLevelEnabled('info');
      const debugEnabled = logger.isLevelEnabled('debug');
      const afterLevelChecks = loaded('winston');
      const write = process.stdout.write.bind(process.stdout);
      process.stdout.write = () => true; // swallow the line itself
      logger.warn('[TikTokOAuth] test - one line');
      process.stdout.write = write;
      console.log(JSON.stringify({ afterConstruct, infoEnabled, debugEnabled, afterLevelChecks,
        afterWrite: loaded('winston') }));`);
    assert.deepEqual(seen, {
      afterConstruct: false,
      infoEnabled: true,
      debugEnabled: false,
      afterLevelChecks: false,
      afterWrite: true,
    });
  });

  it('the webhook and session-revocation middleware without a logger load winston only to write', async () => {
    const seen = await fresh(`
      pkg.tiktokWebhook({ clientSecret: 's' });
      pkg.tiktokSessionRevocation({ removals: new pkg.MemoryRemovalList() });
      console.log(JSON.stringify({ afterCreate: loaded('winston') }));`);
    assert.deepEqual(seen, { afterCreate: false });
  });

  it('createTikTokMetrics() loads prom-client; the first TikTok call loads no HTTP client package', async () => {
    const seen = await fresh(`
      const before = loaded('prom-client');
      const { Registry } = require('prom-client');
      const metrics = pkg.createTikTokMetrics(new Registry());
      const client = new pkg.TikTokClient({ clientKey: 'k', clientSecret: 's', redirectUri: 'https://app.example/cb',
        tokenURL: 'http://127.0.0.1:9/oauth/token/', maxAttempts: 1, timeoutMs: 500,
        logger: { debug() {}, info() {}, warn() {}, error() {} } });
      const packageOf = (f) => {
        const parts = f.split('/node_modules/')[1]?.split('/') ?? [];
        return parts[0]?.startsWith('@') ? parts.slice(0, 2).join('/') : parts[0];
      };
      const packages = () => [...new Set(Object.keys(require.cache).map(packageOf).filter(Boolean))];
      const beforeCall = packages();
      client.exchangeCodeForTokens('code-123456', { codeVerifier: 'v'.repeat(43) })
        .then(() => 'answered', (err) => err.code)
        .then((outcome) => {
          const added = packages().filter((p) => !beforeCall.includes(p));
          console.log(JSON.stringify({ before, metrics: typeof metrics.requests.inc, outcome, added }));
        });`);
    // Port 9 (discard) refuses the connection: the call went through the transport, which is
    // node:http(s) with a keep-alive agent (no WebAssembly parser held for the life of the
    // process, docs/performance.md).
    assert.deepEqual(seen, {
      before: false,
      metrics: 'function',
      outcome: 'NETWORK_ERROR',
      added: [],
    });
  });
});
