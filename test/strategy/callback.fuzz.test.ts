/**
 * Property-based fuzzing of the OAuth callback through the real strategy, session and error
 * handler, on Express 5 and Express 4: hostile queries (duplicated, bracketed, oversized,
 * non-ASCII, percent junk, CR/LF/NUL, prototype keys) with and without a pending login.
 */
import assert from 'node:assert/strict';
import fc from 'fast-check';
import {
  callbackPlanArb,
  CANARY_CODE,
  CANARY_DESCRIPTION,
  mayCallToken,
  renderQuery,
  type CallbackPlan,
  type CallbackSecrets,
} from '../support/callback-query';
import { CaptureLogger } from '../support/capture-logger';
import { useFuzzSettings } from '../support/fuzz-settings';
import {
  consent,
  EXPRESS_VERSIONS,
  startLogin,
  stateOf,
  useLoginFixture,
  type Agent,
  type TestResponse,
} from '../support/login';
import { prototypeSnapshot } from '../support/prototype-guard';
import { watchUnhandledRejections } from '../support/unhandled-rejections';

const SECRET = 'canary-client-secret-3c9a1f0e7b';
const NO_RATE_LIMIT = { limit: 1_000_000, windowMs: 60_000 };
/** Every answer the callback may give; never a 500. */
const ALLOWED_STATUSES = new Set([302, 400, 401, 403, 405, 429, 502, 503]);

type Setup = 'no login' | 'pending login' | 'consented login';
type Method = 'get' | 'head' | 'post';

interface Case {
  readonly plan: CallbackPlan;
  readonly setup: Setup;
  readonly method: Method;
  readonly route: '/auth/tiktok/callback' | '/auth/tiktok/callback-redirect';
  readonly accept: string;
}

const caseArb: fc.Arbitrary<Case> = fc
  .record({
    plan: callbackPlanArb,
    setup: fc.constantFrom<Setup>('no login', 'pending login', 'consented login'),
    method: fc.oneof(
      { weight: 8, arbitrary: fc.constant<Method>('get') },
      { weight: 1, arbitrary: fc.constantFrom<Method>('head', 'post') },
    ),
    route: fc.constantFrom('/auth/tiktok/callback', '/auth/tiktok/callback-redirect'),
    accept: fc.constantFrom('application/json', 'text/html', '*/*'),
  })
  // The test app routes every method to the first callback, only GET to the failureRedirect one.
  .map((c) => (c.route === '/auth/tiktok/callback' ? c : { ...c, method: 'get' }));

/** A valid callback with TikTok's real code: a login. */
const LOGIN: Case = {
  plan: {
    pieces: [
      { key: 'code', value: { placeholder: 'realCode' }, encoding: 'component' },
      { key: 'state', value: { placeholder: 'validState' }, encoding: 'component' },
    ],
  },
  setup: 'consented login',
  method: 'get',
  route: '/auth/tiktok/callback',
  accept: 'application/json',
};
/** The valid state with a code TikTok never issued: one token call, answered invalid_grant. */
const FOREIGN_CODE: Case = {
  ...LOGIN,
  plan: {
    pieces: [
      { key: 'code', value: { literal: CANARY_CODE }, encoding: 'component' },
      { key: 'state', value: { placeholder: 'validState' }, encoding: 'component' },
    ],
  },
  setup: 'pending login',
};

/** Prepares the browser as the case says; returns what a valid callback would carry. */
async function prepare(agent: Agent, setup: Setup): Promise<CallbackSecrets> {
  if (setup === 'no login') return { state: undefined, code: undefined };
  const authorize = await startLogin(agent);
  const state = stateOf(authorize);
  if (setup === 'pending login') return { state, code: undefined };
  const callback = new URL(await consent(authorize), 'http://app.test');
  return { state, code: callback.searchParams.get('code') ?? undefined };
}

/** What the app let out for one request: the response (body, headers) and its log lines. */
function exposed(
  res: TestResponse,
  logger: CaptureLogger,
  fromLine: number,
): { response: string; logs: string } {
  const lines = logger.lines.slice(fromLine);
  return {
    response: `${res.text ?? ''}\n${JSON.stringify(res.headers)}`,
    logs: lines.map((l) => `${l.message} ${JSON.stringify(l.meta)}`).join('\n'),
  };
}

function assertAbsent(text: string, canaries: readonly string[], where: string): void {
  for (const canary of canaries) {
    assert.ok(
      !text.includes(canary),
      `${where} leaks ${canary.slice(0, 12)}…: ${text.slice(0, 500)}`,
    );
  }
}

describe('fuzz: TikTokStrategy', function () {
  this.timeout(60_000);
  describe('callback', () => {
    const fuzz = useFuzzSettings();
    const rejections = watchUnhandledRejections();

    for (const version of EXPRESS_VERSIONS) {
      describe(version, () => {
        const logger = new CaptureLogger();
        const fx = useLoginFixture({
          express: version,
          emulator: { clientSecret: SECRET, rateLimit: NO_RATE_LIMIT },
          strategy: { clientSecret: SECRET, logger },
        });

        it('never a 500, no token call on bad input, no secret echoed, no pollution', async () => {
          const stats = { runs: 0, tokenCalls: 0, logins: 0 };
          const assertUnpolluted = prototypeSnapshot();
          const property = fc.asyncProperty(caseArb, async (c) => {
            stats.runs += 1;
            const agent = fx.browser();
            const secrets = await prepare(agent, c.setup);
            const query = renderQuery(c.plan, secrets);
            const tokenBefore = fx.tt.count('token');
            const requestsBefore = fx.tt.requests.length;
            const lineBefore = logger.lines.length;

            const res = await agent[c.method](`${c.route}?${query}`).set('Accept', c.accept);

            assert.ok(ALLOWED_STATUSES.has(res.status), `status ${res.status}: ${res.text}`);
            if (c.method !== 'get') assert.equal(res.status, 405);
            if (res.status >= 400) {
              assert.match(String(res.headers['x-correlation-id']), /^tiktok-\d+-[0-9a-f]{8}$/);
            }
            const tokenCalls = fx.tt.count('token') - tokenBefore;
            assert.ok(tokenCalls <= 1, `${tokenCalls} token calls`);
            if (tokenCalls > 0) {
              assert.equal(c.method, 'get');
              assert.ok(mayCallToken(query, secrets), `a token call for ${query.slice(0, 300)}`);
              stats.tokenCalls += 1;
            }
            if (res.status === 302 && res.headers.location === '/') stats.logins += 1;

            const verifiers = fx.tt.requests
              .slice(requestsBefore)
              .map((r) => r.form?.code_verifier)
              .filter((v): v is string => v !== undefined);
            const canaries = [SECRET, CANARY_CODE, ...verifiers];
            if (secrets.state !== undefined) canaries.push(secrets.state);
            if (secrets.code !== undefined) canaries.push(secrets.code);
            const { response, logs } = exposed(res, logger, lineBefore);
            assertAbsent(response, [...canaries, CANARY_DESCRIPTION], 'the response');
            // TikTok's `error` identifier (safe characters only) may be logged as the failure's
            // reason; the attacker-controlled error_description never is.
            const loggable = new URLSearchParams(query)
              .getAll('error')
              .includes(CANARY_DESCRIPTION);
            assertAbsent(logs, loggable ? canaries : [...canaries, CANARY_DESCRIPTION], 'the log');
            assertUnpolluted();
            assert.deepEqual(rejections.reasons, []);
          });
          // Two plain callbacks always run first, so that the checks below hold whatever the seed.
          await fc.assert(property, {
            ...fuzz.params<[Case]>(150),
            examples: [[LOGIN], [FOREIGN_CODE]],
          });
          // The fuzzer got past the checks too (the properties above are not vacuous).
          assert.ok(stats.tokenCalls > 0, `no token call in ${stats.runs} runs`);
          assert.ok(stats.logins > 0, `no successful login in ${stats.runs} runs`);
        });
      });
    }

    describe('afterwards', () => {
      it('no unhandled rejection surfaced once the runs settled', async () => {
        await new Promise((resolve) => setImmediate(resolve));
        assert.deepEqual(rejections.reasons, []);
      });
    });
  });
});
