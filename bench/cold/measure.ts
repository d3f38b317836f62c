import { execFile, fork } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { pin } from '../affinity';
import { appLogin } from '../driver/flows';
import { HttpClient } from '../driver/http';
import { BENCH_SCOPES } from '../fields';
import type { Bench } from '../measure';
import { registerAppCallback, upstreamOf } from '../upstream';
import type { ColdImportStack, ColdSample } from './results';

const ROOT = resolve(__dirname, '../..');
const DIST = join(ROOT, 'dist');

/** What `require()` each import stack measures. */
const IMPORT_TARGETS: Record<ColdImportStack, string> = {
  'passport-tiktok': DIST,
  'passport-oauth2': 'passport-oauth2',
  'passport-tiktok-auth': 'passport-tiktok-auth',
};

/** One cold `require()` in a fresh node process, pinned to the app CPU like the bench's apps. */
export function coldImport(bench: Bench, stack: ColdImportStack): Promise<ColdSample> {
  return new Promise((resolvePromise, reject) => {
    const child = execFile(
      process.execPath,
      [join(__dirname, 'import-child.js'), IMPORT_TARGETS[stack]],
      { cwd: ROOT, env: { ...process.env, NODE_OPTIONS: '' }, timeout: 30_000 },
      (err, stdout) => {
        if (err) {
          reject(new Error(`cold import of ${stack} failed`, { cause: err }));
          return;
        }
        const parsed = JSON.parse(stdout) as { ms: number; rssBytes: number };
        resolvePromise({ ms: parsed.ms, rssBytes: parsed.rssBytes });
      },
    );
    pin(child.pid, bench.layout.app);
  });
}

type Message = { kind: 'ready'; baseUrl: string } | { kind: 'done'; status: number; ms: number };

/**
 * One first login in a fresh process: the child (plain JavaScript, `childJs`) starts its app and
 * says where; this process logs in through it against the HTTPS emulator; the child reports the
 * time from its first statement to its answer of the last step.
 */
export async function firstLogin(
  bench: Bench,
  competitor: 'passport-tiktok' | 'passport-oauth2',
  childJs: string,
): Promise<number> {
  const tt = bench.emulators.https;
  tt.reset();
  const child = fork(childJs, [], {
    execArgv: [],
    stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
    env: {
      ...process.env,
      NODE_OPTIONS: '',
      NODE_EXTRA_CA_CERTS: bench.tls.certPath,
      BENCH_PACKAGE_DIR: DIST,
      BENCH_COLD_START: JSON.stringify({
        competitor,
        upstream: upstreamOf(tt),
        scopes: BENCH_SCOPES,
      }),
    },
  });
  pin(child.pid, bench.layout.app);
  const messages: Message[] = [];
  let wake: (() => void) | undefined;
  child.on('message', (m: Message) => {
    messages.push(m);
    wake?.();
  });
  const next = async (kind: Message['kind']): Promise<Message> => {
    const deadline = Date.now() + 30_000;
    for (;;) {
      const found = messages.find((m) => m.kind === kind);
      if (found !== undefined) return found;
      if (Date.now() > deadline || child.exitCode !== null) {
        throw new Error(`${competitor}: the first-login child sent no ${kind}`);
      }
      await new Promise<void>((r) => {
        wake = r;
        setTimeout(r, 100);
      });
    }
  };
  const client = new HttpClient(1, readFileSync(bench.tls.certPath), 15_000);
  try {
    const ready = await next('ready');
    if (ready.kind !== 'ready') throw new Error('unreachable');
    // The emulator accepts only registered redirect URIs, as TikTok does.
    registerAppCallback(tt, ready.baseUrl);
    await appLogin({ client, onRequest: () => undefined }, ready.baseUrl);
    const done = await next('done');
    if (done.kind !== 'done' || done.status !== 200) {
      throw new Error(`${competitor}: the first login did not end logged in`);
    }
    return done.ms;
  } finally {
    child.kill();
    client.close();
    tt.reset();
  }
}
