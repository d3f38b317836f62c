import { randomBytes } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TikTokEmulator } from '../../lib/testing/index';
import { loadTesting } from '../../bench/dist';
import { HttpClient } from '../../bench/driver/http';
import { AppProcess } from './app-process';
import { CanaryFile } from './capture';
import { runBrowsers } from './driver';
import type { SoakOptions } from './options';
import { injectPhaseFaults, phaseAt, planPhases } from './phases';
import { SoakRedis } from './redis';
import type { SoakReport } from './report';
import { scanForSecrets } from './scan';
import { summariseLogins } from './stats';
import type { LoginRecord, RssSample, SoakAppConfig } from './types';

/**
 * Per-attempt budget and login deadline of the app. The longest configured wait of any request
 * is the token manager's lockWaitMs (10 s, app.ts); the driver's hard timeout is 3× that.
 */
const ATTEMPT_TIMEOUT_MS = 1000;
const LOGIN_DEADLINE_MS = 5000;
const DRIVER_TIMEOUT_MS = 30_000;
const MB = 1024 * 1024;

const sleep = (ms: number): Promise<void> =>
  new Promise((resolve) => setTimeout(resolve, Math.max(0, ms)));

/** Every secret the emulator received (codes, verifiers, tokens, the client secret): canaries. */
function harvest(tt: TikTokEmulator, canaries: CanaryFile): void {
  for (const r of tt.requests.splice(0)) {
    const form = r.form ?? {};
    for (const name of ['code', 'code_verifier', 'refresh_token', 'token', 'client_secret']) {
      canaries.add(form[name]);
    }
    const auth = r.headers.authorization;
    if (auth?.startsWith('Bearer ') === true) canaries.add(auth.slice('Bearer '.length));
    const state = r.query.state;
    if (typeof state === 'string') canaries.add(state);
  }
}

export interface SoakRun {
  readonly report: Omit<SoakReport, 'checks' | 'pass'>;
  /** The temp directory with the logs (kept when something was found). */
  readonly workDir: string;
}

/** Runs the whole soak: its own Redis, the emulator, the app process, the browsers, the phases. */
export async function runSoak(o: SoakOptions): Promise<SoakRun> {
  let driverUnhandled = 0;
  const onUnhandled = (): void => {
    driverUnhandled += 1;
  };
  process.on('unhandledRejection', onUnhandled);
  const workDir = mkdtempSync(join(tmpdir(), 'passport-tiktok-soak-'));
  const file = (name: string): string => join(workDir, name);
  const clientSecret = `soak-canary-client-secret-${randomBytes(12).toString('hex')}`;
  const users = Array.from({ length: o.concurrency }, (_, i) => `soak-user-${i + 1}`);
  const redis = await SoakRedis.start(file('redis'));
  const tt = await loadTesting().startTikTokEmulator({
    autoApprove: true,
    clientSecret,
    users: users.map((openId) => ({ openId })),
    accessTokenTtlSec: 3600,
    rateLimit: { limit: Number.MAX_SAFE_INTEGER, windowMs: 1 },
    maxRecordedRequests: 1_000_000,
  });
  const canaries = new CanaryFile(file('canaries-driver.txt'));
  const harvester = setInterval(() => harvest(tt, canaries), 250);
  const config: SoakAppConfig = {
    upstream: { ...tt.endpoints, clientKey: tt.clientKey, clientSecret },
    redisUrl: redis.url,
    logFile: file('app-log.jsonl'),
    canaryFile: file('canaries-app.txt'),
    logLevel: o.logLevel,
    attemptTimeoutMs: ATTEMPT_TIMEOUT_MS,
    loginDeadlineMs: LOGIN_DEADLINE_MS,
  };
  const app = await AppProcess.start(config, {
    stdout: file('app-stdout.txt'),
    stderr: file('app-stderr.txt'),
  });
  tt.registerRedirectUri(`${app.baseUrl}/auth/tiktok/callback`);
  const startedAt = new Date().toISOString();
  const phases = planPhases(o.durationMs);
  const t0 = Date.now();
  injectPhaseFaults(tt, () => phaseAt(phases, Date.now() - t0).kind);
  const records: LoginRecord[] = [];
  const samples: RssSample[] = [];
  const sampler = setInterval(() => {
    app.stats(false).then(
      (s) =>
        samples.push({
          atMs: Date.now() - t0,
          rssBytes: s.rssBytes,
          heapUsedBytes: s.heapUsedBytes,
        }),
      () => undefined,
    );
  }, o.sampleEveryMs);
  let running = true;
  const client = new HttpClient(o.concurrency * 2, undefined, DRIVER_TIMEOUT_MS);
  const browsers = runBrowsers(
    {
      baseUrl: app.baseUrl,
      client,
      tt,
      canaries,
      t0,
      phaseIndexAt: (atMs) => phaseAt(phases, atMs).index,
      record: (login) => records.push(login),
      running: () => running && !app.crashed,
    },
    users,
  );
  let baselineBytes = 0;
  for (const phase of phases) {
    await sleep(t0 + phase.startMs - Date.now());
    if (app.crashed) break;
    // The end of the first (quiet) phase: everything is warm, the baseline of the RSS check.
    if (phase.index === 1) baselineBytes = (await app.stats(true)).rssBytes;
    if (phase.kind === 'redis_restart') {
      await redis.stop();
      await sleep(Math.min(2000, (phase.endMs - phase.startMs) / 3));
      await redis.startAgain();
    }
  }
  await sleep(t0 + o.durationMs - Date.now());
  running = false;
  await browsers;
  clearInterval(sampler);
  const crashed = app.crashed;
  const finalStats = crashed ? undefined : await app.stats(true);
  clearInterval(harvester);
  harvest(tt, canaries);
  const final = crashed ? undefined : await app.finish();
  await app.kill();
  client.close();
  await tt.close();
  await canaries.close();
  await redis.stop();
  process.off('unhandledRejection', onUnhandled);

  const scan = await scanForSecrets(
    [config.canaryFile, file('canaries-driver.txt')],
    [clientSecret],
    [config.logFile, file('app-stdout.txt'), file('app-stderr.txt')],
    { metrics: final?.metricsText ?? '' },
  );
  const finalBytes = finalStats?.rssBytes ?? 0;
  if (baselineBytes === 0) baselineBytes = finalBytes;
  return {
    workDir,
    report: {
      startedAt,
      durationMs: o.durationMs,
      concurrency: o.concurrency,
      logins: summariseLogins(records, phases),
      rss: {
        samples,
        baselineBytes,
        finalBytes,
        growthBytes: finalBytes - baselineBytes,
        allowedGrowthBytes: Math.max(o.rssGrowthMb * MB, baselineBytes / 2),
      },
      app: {
        rssBytes: finalBytes,
        heapUsedBytes: final?.heapUsedBytes ?? 0,
        unhandledRejections: final?.unhandledRejections ?? 0,
        uncaughtExceptions: final?.uncaughtExceptions ?? 0,
        internalErrors: final?.internalErrors ?? 0,
        internalErrorNames: final?.internalErrorNames ?? {},
        logLines: final?.logLines ?? 0,
        crashNames: final?.crashNames ?? [],
        crashed,
      },
      driverUnhandledRejections: driverUnhandled,
      redisRestarts: redis.restarts,
      scan,
    },
  };
}
