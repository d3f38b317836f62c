// One first login in a fresh process, transpiled to JavaScript before it runs (compile.ts), so
// no TypeScript loader is measured: the time from this module's first statement (imports of
// express, the session, passport and the strategy, app set-up, listen) to the moment the app
// has answered the login's last step, `/session/end` (start, callback with the code exchange
// and user info). The orchestrator plays the browser.
const started = performance.now();

import type { StrategyPlugin } from '../app/plugin';
import type { Upstream } from '../types';

interface FirstLoginStart {
  readonly competitor: 'passport-tiktok' | 'passport-oauth2';
  readonly upstream: Upstream;
  readonly scopes: readonly string[];
}

function send(message: unknown): void {
  process.send?.(message);
}

type PluginModule = Record<string, StrategyPlugin | undefined>;

function pluginOf(competitor: FirstLoginStart['competitor']): StrategyPlugin {
  // Only the measured competitor's modules are loaded.
  const [file, name] =
    competitor === 'passport-tiktok'
      ? ['../app/plugins/passport-tiktok', 'passportTikTok']
      : ['../app/plugins/passport-oauth2', 'passportOAuth2'];
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const plugin = (require(file) as PluginModule)[name];
  if (plugin === undefined) throw new Error(`no plugin ${name} in ${file}`);
  return plugin;
}

function main(): void {
  const config = JSON.parse(process.env.BENCH_COLD_START ?? '{}') as FirstLoginStart;
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { createServer } = require('node:http') as typeof import('node:http');
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { createBenchApp } = require('../app/factory') as typeof import('../app/factory');
  const server = createServer();
  server.listen(0, '127.0.0.1', () => {
    const address = server.address();
    const port = typeof address === 'object' && address !== null ? address.port : 0;
    const baseUrl = `http://127.0.0.1:${port}`;
    const app = createBenchApp(pluginOf(config.competitor), {
      upstream: config.upstream,
      callbackURL: `${baseUrl}/auth/tiktok/callback`,
      scopes: config.scopes,
      attemptTimeoutMs: 2000,
      deadlineMs: 5000,
    });
    server.on('request', (req, res) => {
      if (req.url === '/session/end') {
        res.on('finish', () => {
          send({ kind: 'done', status: res.statusCode, ms: performance.now() - started });
        });
      }
      app(req, res);
    });
    send({ kind: 'ready', baseUrl });
  });
}

main();
