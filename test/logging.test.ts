import { join } from 'node:path';
import { execFileSync } from 'node:child_process';
import assert from 'node:assert/strict';
import winston from 'winston';
import {
  getDefaultLogger,
  LazyDefaultLogger,
  redact,
  REDACTED,
  SafeLogger,
  Scrubber,
} from '../lib/logging';
import type { TikTokLogger } from '../lib';
import { CaptureLogger } from './support/capture-logger';

describe('logging', () => {
  describe('redact', () => {
    it('replaces the value of every sensitive key, whatever its spelling', () => {
      const keys = [
        'access_token',
        'accessToken',
        'Access-Token',
        'refresh_token',
        'refreshToken',
        'id_token',
        'token',
        'code',
        'state',
        'code_verifier',
        'codeVerifier',
        'verifier',
        'client_secret',
        'clientSecret',
        'secret',
        'password',
        'Authorization',
        'authorization',
        'Cookie',
        'set-cookie',
        'Set-Cookie',
        'query',
        'queryString',
        'query_string',
        'body',
      ];
      const input = Object.fromEntries(keys.map((k) => [k, `value-of-${k}`]));
      assert.deepEqual(redact(input), Object.fromEntries(keys.map((k) => [k, REDACTED])));
    });

    it('keeps other keys and every non-string value as is', () => {
      const input = {
        operation: 'refresh',
        status: 503,
        retryable: true,
        nothing: null,
        u: undefined,
      };
      assert.deepEqual(redact(input), input);
    });

    it('redacts nested objects and arrays, and leaves the input untouched', () => {
      const input = {
        headers: { Authorization: 'Bearer act.1', accept: 'application/json' },
        list: [{ refresh_token: 'rft.1' }, 'plain'],
      };
      const copy = structuredClone(input);
      assert.deepEqual(redact(input), {
        headers: { Authorization: REDACTED, accept: 'application/json' },
        list: [{ refresh_token: REDACTED }, 'plain'],
      });
      assert.deepEqual(input, copy);
    });

    it('turns an Error into { name, message } (no stack, no cause), message scrubbed', () => {
      const scrubber = new Scrubber(['sekrit-value']);
      const err = new Error('failed with sekrit-value', { cause: new Error('inner sekrit-value') });
      assert.deepEqual(redact({ err }, scrubber), {
        err: { name: 'Error', message: `failed with ${REDACTED}` },
      });
    });

    it('scrubs known secret values out of every string, keys not sensitive', () => {
      const scrubber = new Scrubber(['act.canary-123', 'code*!canary']);
      assert.deepEqual(
        redact(
          { note: 'got act.canary-123 and code*!canary', deep: [['x act.canary-123']] },
          scrubber,
        ),
        { note: `got ${REDACTED} and ${REDACTED}`, deep: [[`x ${REDACTED}`]] },
      );
      assert.equal(redact('act.canary-123', scrubber), REDACTED);
    });

    it('cuts very deep structures instead of recursing forever', () => {
      let deep: Record<string, unknown> = { leaf: 'x' };
      for (let i = 0; i < 10; i++) deep = { next: deep };
      const out = JSON.stringify(redact(deep));
      assert.match(out, /\[Truncated\]/);
      assert.equal(out.includes('leaf'), false);
    });
  });

  describe('Scrubber', () => {
    it('replaces every occurrence of every secret', () => {
      const s = new Scrubber(['secret-one', 'secret-two']);
      assert.equal(
        s.scrub('a secret-one b secret-two c secret-one'),
        `a ${REDACTED} b ${REDACTED} c ${REDACTED}`,
      );
    });

    it('never throws, and stays cheap, with a secret of several KiB (a request-sized value)', () => {
      const huge = 'k'.repeat(14_000);
      const s = new Scrubber(['the-client-secret'], [huge, 'tiktokoauth']);
      const started = Date.now();
      // A line holding one short secret and an escape mark: only that secret's regex is built.
      assert.equal(s.scrub('[TikTokOAuth] 100% failed'), `[${REDACTED}] 100% failed`);
      // Generous: the old single regex took seconds here, or threw; a loaded CI machine must pass.
      assert.ok(Date.now() - started < 2000, `${Date.now() - started} ms`);
      // The huge secret itself, present: its pattern is too large for V8, the literal form goes.
      assert.equal(s.scrub(`x ${huge.toUpperCase()} y %`), `x ${REDACTED} y %`);
      assert.equal(s.scrub(`x ${'%6b'.repeat(14_000)} y`), `x ${'%6b'.repeat(14_000)} y`);
    });

    it('replaces a long secret echoed as it is without compiling its escaped-form regex', () => {
      // A callback's code of 8 KiB echoed in TikTok's error text: the escaped-form regex of such
      // a secret took ~0.25 s to compile before the literal replacement came first.
      const code = 'Ab9-'.repeat(2000);
      const s = new Scrubber(['the-client-secret'], [code]);
      const started = Date.now();
      for (let i = 0; i < 4; i++) {
        assert.equal(
          new Scrubber(['the-client-secret'], [code]).scrub(`bad code ${code} (100% sure)`),
          `bad code ${REDACTED} (100% sure)`,
        );
      }
      // Generous for a loaded CI machine: four compilations took about a second.
      assert.ok(Date.now() - started < 400, `${Date.now() - started} ms`);
      assert.equal(s.scrub(`x ${code.toLowerCase()} y`), `x ${REDACTED} y`);
      // An escaped form left beside the literal one still goes (a code TikTok can see: ≤ 2 KiB).
      const sent = code.slice(0, 2000);
      assert.equal(
        new Scrubber([sent]).scrub(`${sent} ${sent.replace(/-/g, '%2D')}`),
        `${REDACTED} ${REDACTED}`,
      );
    });

    it('replaces a secret that holds another one whole, whatever their order', () => {
      const inner = 'abcdef123456';
      const outer = `zzq9${inner}q9zz`;
      for (const order of [
        [inner, outer],
        [outer, inner],
      ]) {
        assert.equal(new Scrubber(order).scrub(`a ${outer} b`), `a ${REDACTED} b`);
        assert.equal(new Scrubber(order).scrub(`a ${outer} b %`), `a ${REDACTED} b %`);
      }
    });

    it('replaces a secret whole after text whose lower case is longer (İ, U+0130)', () => {
      // `'İ'.toLowerCase()` is two UTF-16 units: each one before a secret used to shift the
      // replacement, leaving the secret's head in the line (here 6 characters of it).
      const secret = 'act.1234567890abcdefghijklmnopqrstuv';
      const s = new Scrubber([secret]);
      assert.equal(s.scrub(`İİİİİİ ${secret} tail`), `İİİİİİ ${REDACTED} tail`);
      assert.equal(
        s.scrub(`İ ${secret.toUpperCase()} İ ${secret} 100%`),
        `İ ${REDACTED} İ ${REDACTED} 100%`,
      );
      assert.equal(s.scrub(`😀 İstanbul — ${secret}`), `😀 İstanbul — ${REDACTED}`);
    });

    it('replaces a secret holding Σ wherever it stands (Σ lower-cases to σ or ς by context)', () => {
      for (const secret of ['abcdefΣ1', 'abcdeΣ']) {
        const s = new Scrubber([secret]);
        for (const line of [
          `İ ${secret}`,
          `x ${secret}yz`,
          `x ${secret.toLowerCase()}yz`,
          `${secret} İ`,
        ]) {
          assert.equal(s.scrub(line).includes('abcde'), false, `${secret} in ${line}`);
        }
      }
    });

    it('ignores undefined, duplicates and values shorter than 6 chars', () => {
      const s = new Scrubber([undefined, 'abc', 'abcde', 'abcdef', 'abcdef']);
      assert.equal(s.scrub('abc abcde abcdef'), `abc abcde ${REDACTED}`);
    });

    it('also replaces the percent-encoded forms of a secret (query, form body, %2A/%21)', () => {
      const code = 'abc_DEF-123*!xyz.7 q';
      const s = new Scrubber([code]);
      for (const echo of [
        code,
        encodeURIComponent(code),
        'abc_DEF-123%2A%21xyz.7%20q',
        new URLSearchParams({ code }).toString().slice(5),
      ]) {
        assert.equal(s.scrub(`got ${echo}!`), `got ${REDACTED}!`, echo);
      }
    });

    it('finds a secret in any case and escaping, and inside base64 (issue #12 item 5)', () => {
      const code = 'Abc_DEF-123*!xyz.7';
      const secret = 'client-secret-0123456789';
      const s = new Scrubber([code, secret]);
      const percent = 'Abc_DEF-123%2a%21xyz.7';
      for (const echo of [
        percent,
        percent.toUpperCase(),
        'Abc_DEF-123%252A%2521xyz.7',
        code.toUpperCase(),
        code.toLowerCase(),
        'Abc_DEF-123\\u002a\\u0021xyz.7',
        'Abc_DEF-123&#42;&#x21;xyz.7',
        Buffer.from(`aw-client-key:${secret}`).toString('base64'),
        Buffer.from(`x${secret}`).toString('base64url'),
        Buffer.from(`xy${code}`).toString('base64'),
      ]) {
        assert.equal(s.scrub(`got ${echo} end`), `got ${REDACTED} end`, echo);
      }
      const innocent = 'a 100% normal line + an URL /a%2Fb, &#42; and aGVsbG8gd29ybGQ=';
      assert.equal(s.scrub(innocent), innocent);
    });

    // TikTok's error_description (up to the client's 1 MiB cap) is scrubbed whole before it is
    // cut. The base64 search was `[A-Za-z0-9+/_-]*(?:pieces)[A-Za-z0-9+/_-]*=*`: a long
    // base64-like run without the secret, with the secret's base64 anywhere in the text, made it
    // retry the run from every position (10 KiB: ~90 ms, 100 KiB: ~7.7 s, 1 MiB: minutes).
    it('stays linear on a long base64-like run, and replaces only the run holding the secret', () => {
      const secret = 'Xy7Qk2mZp9Lw3Rt8Vb6Nc1Hd5Jf4Gs0a';
      const encoded = Buffer.from(`client-key:${secret}`).toString('base64');
      const run = 'A'.repeat(100_000);
      const started = Date.now();
      const out = new Scrubber([secret]).scrub(`${run} x ${encoded} y ${run}`);
      const ms = Date.now() - started;
      assert.equal(out, `${run} x ${REDACTED} y ${run}`);
      // Generous, for a loaded CI machine: now ~1 ms, before ~7 700 ms.
      assert.ok(ms < 1000, `${ms} ms`);
    });

    it('replaces each base64 run holding a secret, with its padding, and nothing around it', () => {
      const secret = 'client-secret-0123456789';
      const one = Buffer.from(`k:${secret}`).toString('base64');
      const two = Buffer.from(`${secret}!`).toString('base64url');
      const s = new Scrubber([secret]);
      assert.ok(one.endsWith('=') && !one.endsWith('=='));
      // `=` ends a run: `one` then `two` are two runs, each replaced.
      assert.equal(
        s.scrub(`a ${one}=b ${one}${two} "${two}".AAAA`),
        `a ${REDACTED}b ${REDACTED}${REDACTED} "${REDACTED}".AAAA`,
      );
      assert.equal(s.scrub('QUFB AAAA=='), 'QUFB AAAA==');
    });

    it('learns secrets added later', () => {
      const s = new Scrubber();
      assert.equal(s.scrub('rft.later-token'), 'rft.later-token');
      s.add('rft.later-token');
      assert.equal(s.scrub('rft.later-token'), REDACTED);
    });
  });

  describe('SafeLogger', () => {
    it("passes the message (the package's own text) and redacted meta to the target, at the same level", () => {
      const capture = new CaptureLogger();
      const logger = new SafeLogger(capture, new Scrubber(['the-client-secret']));
      logger.log('warn', '[TikTokOAuth] exchange - failure', {
        code: 'abc',
        secret2: 'the-client-secret',
        nested: { detail: 'saw the-client-secret' },
        n: 1,
      });
      assert.deepEqual(capture.lines, [
        {
          level: 'warn',
          message: '[TikTokOAuth] exchange - failure',
          meta: { code: REDACTED, secret2: REDACTED, nested: { detail: `saw ${REDACTED}` }, n: 1 },
        },
      ]);
    });

    // A request's "secrets" (a callback's state and code) are whatever its sender chose.
    it('a secret equal to the message, an error code or the correlation ID does not blank them', () => {
      const capture = new CaptureLogger();
      const chosen = ['INVALID_STATE', 'attacker-1234', 'TikTokOAuth', 'exchange'];
      new SafeLogger(capture, new Scrubber(chosen)).log(
        'warn',
        '[TikTokOAuth] exchange - failure',
        {
          correlationId: 'attacker-1234',
          errorCode: 'INVALID_STATE',
          operation: 'exchange',
          detail: 'TikTok said INVALID_STATE for attacker-1234',
        },
      );
      assert.deepEqual(capture.lines[0], {
        level: 'warn',
        message: '[TikTokOAuth] exchange - failure',
        meta: {
          correlationId: 'attacker-1234',
          errorCode: 'INVALID_STATE',
          operation: 'exchange',
          detail: `TikTok said ${REDACTED} for ${REDACTED}`,
        },
      });
    });

    it('those fields are scrubbed as usual when they hold anything but a token', () => {
      const capture = new CaptureLogger();
      new SafeLogger(capture, new Scrubber(['the-client-secret'])).log('error', 'x', {
        correlationId: 'id the-client-secret',
        errorCode: { nested: 'the-client-secret' },
        operation: 'the-client-secret'.repeat(10),
      });
      assert.deepEqual(capture.lines[0]?.meta, {
        correlationId: `id ${REDACTED}`,
        errorCode: { nested: REDACTED },
        operation: REDACTED.repeat(10),
      });
    });

    it('works without a scrubber (structural redaction only)', () => {
      const capture = new CaptureLogger();
      new SafeLogger(capture).log('info', 'msg', { access_token: 'x', ok: 'y' });
      assert.deepEqual(capture.lines[0]?.meta, { access_token: REDACTED, ok: 'y' });
    });

    it('asks isLevelEnabled when the target has it and skips disabled levels', () => {
      const capture = new CaptureLogger();
      const levelled = Object.assign(capture, {
        isLevelEnabled: (level: string): boolean => level !== 'debug',
      });
      const logger = new SafeLogger(levelled);
      assert.equal(logger.enabled('debug'), false);
      assert.equal(logger.enabled('info'), true);
      logger.log('debug', 'hidden', {});
      logger.log('error', 'shown', {});
      assert.deepEqual(
        capture.lines.map((l) => l.message),
        ['shown'],
      );
    });

    it('treats every level as enabled when the target cannot tell', () => {
      assert.equal(new SafeLogger(new CaptureLogger()).enabled('debug'), true);
    });

    it('never lets a throwing logger break the caller', () => {
      const broken: TikTokLogger = {
        debug: () => {
          throw new Error('disk full');
        },
        info: () => {
          throw new Error('disk full');
        },
        warn: () => {
          throw new Error('disk full');
        },
        error: () => {
          throw new Error('disk full');
        },
      };
      assert.doesNotThrow(() => new SafeLogger(broken).log('error', 'x', {}));
    });

    it('never lets an async logger that rejects end the process (no unhandled rejection)', async () => {
      const unhandled: unknown[] = [];
      const onUnhandled = (reason: unknown): void => {
        unhandled.push(reason);
      };
      process.on('unhandledRejection', onUnhandled);
      try {
        const rejecting = {
          debug: () => Promise.reject(new Error('log shipper down')),
          info: () => Promise.reject(new Error('log shipper down')),
          warn: () => Promise.reject(new Error('log shipper down')),
          error: () => Promise.reject(new Error('log shipper down')),
        } as unknown as TikTokLogger;
        new SafeLogger(rejecting).log('error', 'x', {});
        await new Promise((resolve) => setTimeout(resolve, 20));
        assert.deepEqual(unhandled, []);
      } finally {
        process.off('unhandledRejection', onUnhandled);
      }
    });

    it('an isLevelEnabled that throws counts as enabled: the line is still written, nothing throws', () => {
      const target = new CaptureLogger();
      Reflect.set(target, 'isLevelEnabled', () => {
        throw new Error('broken');
      });
      const safe = new SafeLogger(target);
      assert.equal(safe.enabled('debug'), true);
      assert.doesNotThrow(() => safe.log('warn', 'x', {}));
      assert.equal(target.lines.length, 1);
    });
  });

  describe('getDefaultLogger', () => {
    it('is one winston logger per process, level from TIKTOK_LOG_LEVEL (silent in tests)', () => {
      const a = getDefaultLogger();
      assert.equal(getDefaultLogger(), a);
      const configured = process.env.TIKTOK_LOG_LEVEL ?? 'info';
      const winstonish = a as unknown as { silent: boolean; level: string };
      assert.equal(winstonish.silent, configured === 'silent');
      assert.equal(winstonish.level, configured === 'silent' ? 'error' : configured);
      for (const level of ['debug', 'info', 'warn', 'error'] as const) {
        assert.equal(typeof a[level], 'function');
      }
    });
  });
  describe('LazyDefaultLogger (used when no logger is given)', () => {
    const saved = process.env.TIKTOK_LOG_LEVEL;
    afterEach(() => {
      process.env.TIKTOK_LOG_LEVEL = saved;
    });

    it('answers isLevelEnabled as a winston logger at TIKTOK_LOG_LEVEL would', () => {
      const levels = ['error', 'warn', 'info', 'http', 'verbose', 'debug', 'silly'];
      for (const configured of levels) {
        process.env.TIKTOK_LOG_LEVEL = configured;
        const lazy = new LazyDefaultLogger();
        const real = winston.createLogger({ level: configured });
        for (const level of levels) {
          assert.equal(
            lazy.isLevelEnabled(level),
            real.isLevelEnabled(level),
            `${level} at ${configured}`,
          );
        }
      }
    });

    it('reads the level in any case; a value that is not a level is info, never nothing at all', () => {
      for (const [configured, enabled] of [
        ['WARN', ['error', 'warn']],
        [' Debug ', ['error', 'warn', 'info', 'debug']],
        ['warning', ['error', 'warn', 'info']],
        ['trace', ['error', 'warn', 'info']],
        // Names Object.prototype holds are not levels either (they silenced every line).
        ['constructor', ['error', 'warn', 'info']],
        ['__proto__', ['error', 'warn', 'info']],
      ] as const) {
        process.env.TIKTOK_LOG_LEVEL = configured;
        const lazy = new LazyDefaultLogger();
        const on = ['error', 'warn', 'info', 'debug'].filter((l) => lazy.isLevelEnabled(l));
        assert.deepEqual(on, enabled, configured);
      }
    });

    it('a value that is not a level: the default logger writes error lines and says why once', () => {
      const script = `
        const { lazyDefaultLogger, SafeLogger } = require('./lib/logging');
        new SafeLogger(lazyDefaultLogger()).log('error', '[TikTokOAuth] session - the store failed: answering 503', {});
      `;
      const out = execFileSync(process.execPath, ['--require', 'tsx/cjs', '-e', script], {
        cwd: join(__dirname, '..'),
        env: { ...process.env, TIKTOK_LOG_LEVEL: 'warning' },
        encoding: 'utf8',
      });
      const lines = out
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l) as Record<string, unknown>);
      assert.deepEqual(
        lines.map((l) => [l.level, l.message]),
        [
          [
            'warn',
            '[TikTokOAuth] logger - TIKTOK_LOG_LEVEL is not a level: using info (levels: error, warn, info, http, verbose, debug, silly, silent)',
          ],
          ['error', '[TikTokOAuth] session - the store failed: answering 503'],
        ],
      );
      assert.equal(lines[0]?.given, 'warning');
    });

    it('silent: no level is enabled', () => {
      process.env.TIKTOK_LOG_LEVEL = 'silent';
      const lazy = new LazyDefaultLogger();
      for (const level of ['error', 'warn', 'info', 'debug']) {
        assert.equal(lazy.isLevelEnabled(level), false);
      }
    });

    it('writes through the one default winston logger', () => {
      const target = getDefaultLogger();
      const seen: string[] = [];
      const original = target.warn.bind(target);
      target.warn = (message: string) => {
        seen.push(message);
      };
      try {
        new LazyDefaultLogger().warn('[TikTokOAuth] test - through', {});
      } finally {
        target.warn = original;
      }
      assert.deepEqual(seen, ['[TikTokOAuth] test - through']);
    });
  });
});
