import assert from 'node:assert/strict';
import { TikTokClient } from '../../lib';
import {
  CircuitBreaker,
  type CircuitBreakerOptions,
  type CircuitState,
} from '../../lib/client/circuit-breaker';
import { ManualClock } from '../support/manual-clock';
import { seededRandom } from '../support/prng';

/** A breaker on a manual clock, with the transitions it reported. */
function breakerOn(
  options: CircuitBreakerOptions = {},
  start = 1_000_000,
): { breaker: CircuitBreaker; clock: ManualClock; transitions: CircuitState[] } {
  const clock = new ManualClock(start);
  const transitions: CircuitState[] = [];
  const breaker = new CircuitBreaker(
    'token',
    options,
    (state, endpoint) => {
      assert.equal(endpoint, 'token');
      transitions.push(state);
    },
    clock.now,
  );
  return { breaker, clock, transitions };
}

/** Records `n` outcomes of ordinary (non-probe) attempts, each asked for first. */
function record(breaker: CircuitBreaker, n: number, outcome: 'failure' | 'success'): void {
  for (let i = 0; i < n; i++) {
    assert.deepEqual(breaker.permit(), { allowed: true, probe: false });
    if (outcome === 'failure') breaker.recordFailure(false);
    else breaker.recordSuccess(false);
  }
}

/** Asks for an attempt that must be let through as a half-open probe; the probe's number. */
function probe(breaker: CircuitBreaker, message?: string): number {
  const permit = breaker.permit();
  assert.ok(permit.allowed && permit.probe !== false, message ?? JSON.stringify(permit));
  return permit.probe;
}

/** Defaults (20 attempts, 50 %, 10 s window, 5 s → 60 s cool-down), opened by 20 failures. */
function openedBreaker(): ReturnType<typeof breakerOn> {
  const b = breakerOn();
  record(b.breaker, 20, 'failure');
  assert.equal(b.breaker.state, 'open');
  return b;
}

describe('client/circuit-breaker', () => {
  describe('constructed', () => {
    it('starts closed and lets attempts through as ordinary (non-probe) attempts', () => {
      const { breaker, transitions } = breakerOn();
      assert.equal(breaker.state, 'closed');
      assert.equal(breaker.endpoint, 'token');
      assert.deepEqual(breaker.permit(), { allowed: true, probe: false });
      assert.deepEqual(transitions, []);
    });

    const invalid: [keyof CircuitBreakerOptions, number, string][] = [
      ['failureRatio', 0, 'in (0, 1]'],
      ['failureRatio', 1.5, 'in (0, 1]'],
      ['failureRatio', Number.NaN, 'in (0, 1]'],
      ['minimumRequests', 0, 'a positive integer'],
      ['minimumRequests', 2.5, 'a positive integer'],
      ['windowMs', Number.NaN, 'positive'],
      ['windowMs', 0, 'positive'],
      ['openMs', -1, 'positive'],
      ['maxOpenMs', Number.POSITIVE_INFINITY, 'positive'],
    ];
    for (const [option, value, what] of invalid) {
      it(`${option}: ${String(value)} is a TypeError naming the option`, () => {
        assert.throws(() => new CircuitBreaker('token', { [option]: value }), {
          name: 'TypeError',
          message: `TikTokClient option circuitBreaker.${option} must be ${what}, got ${String(value)}`,
        });
      });
    }

    it('a TikTokClient with a bad circuitBreaker option throws at construction, not at a call', () => {
      const options = {
        clientKey: 'key',
        clientSecret: 'secret',
        redirectUri: 'https://app.test/callback',
      };
      assert.throws(() => new TikTokClient({ ...options, circuitBreaker: { windowMs: -5 } }), {
        name: 'TypeError',
        message: /circuitBreaker\.windowMs/,
      });
      assert.ok(new TikTokClient({ ...options, circuitBreaker: false }) instanceof TikTokClient);
    });
  });

  describe('closed', () => {
    it('stays closed below minimumRequests, even when every attempt failed', () => {
      const { breaker, transitions } = breakerOn();
      record(breaker, 19, 'failure');
      assert.equal(breaker.state, 'closed');
      assert.deepEqual(transitions, []);
    });

    it('opens once minimumRequests is reached with the failure ratio (10 of 20)', () => {
      const { breaker, transitions } = breakerOn();
      record(breaker, 10, 'success');
      record(breaker, 9, 'failure');
      assert.equal(breaker.state, 'closed');
      breaker.recordFailure(false);
      assert.equal(breaker.state, 'open');
      assert.deepEqual(transitions, ['open']);
    });

    it('stays closed just below the ratio (9 of 20, then 10 of 21)', () => {
      const { breaker } = breakerOn();
      record(breaker, 11, 'success');
      record(breaker, 10, 'failure');
      assert.equal(breaker.state, 'closed');
    });

    it('honours a custom ratio and minimum (3 of 4 at 0.75)', () => {
      const { breaker } = breakerOn({ failureRatio: 0.75, minimumRequests: 4 });
      record(breaker, 1, 'success');
      record(breaker, 2, 'failure');
      assert.equal(breaker.state, 'closed');
      breaker.recordFailure(false);
      assert.equal(breaker.state, 'open');
    });

    it('neutral outcomes (429, odd bodies) count neither way', () => {
      const { breaker } = breakerOn({ minimumRequests: 4 });
      for (let i = 0; i < 50; i++) breaker.recordNeutral(false);
      record(breaker, 3, 'failure');
      assert.equal(breaker.state, 'closed', 'the neutral outcomes did not fill the window');
      breaker.recordFailure(false);
      assert.equal(breaker.state, 'open');
    });
  });

  describe('rolling window', () => {
    it('counts failures up to the last bucket of the window (10 s, buckets of 1 s)', () => {
      const { breaker, clock } = breakerOn();
      record(breaker, 10, 'failure');
      clock.advance(9_999);
      record(breaker, 9, 'failure');
      assert.equal(breaker.state, 'closed');
      breaker.recordFailure(false);
      assert.equal(breaker.state, 'open', '10 old + 10 new failures are in the window');
    });

    it('forgets failures older than the window', () => {
      const { breaker, clock } = breakerOn();
      record(breaker, 15, 'failure');
      clock.advance(10_000);
      record(breaker, 15, 'failure');
      assert.equal(breaker.state, 'closed', 'only the last 15 failures are in the window');
      record(breaker, 5, 'failure');
      assert.equal(breaker.state, 'open');
    });

    it('a clock starting at 0 rotates like any other (regression: 0 meant "not started")', () => {
      const { breaker, clock } = breakerOn({}, 0);
      record(breaker, 10, 'failure');
      clock.advance(10_000);
      record(breaker, 10, 'failure');
      assert.equal(breaker.state, 'closed', 'the failures at t = 0 were forgotten');
    });

    it('20 % random failures over 10 000 attempts at 100/s never open it (seeded)', () => {
      const { breaker, clock, transitions } = breakerOn();
      const random = seededRandom(20240607);
      let failures = 0;
      for (let i = 0; i < 10_000; i++) {
        clock.advance(10);
        const failed = random() < 0.2;
        if (failed) failures += 1;
        record(breaker, 1, failed ? 'failure' : 'success');
      }
      assert.ok(failures > 1_900 && failures < 2_100, `failure share ${failures / 100} %`);
      assert.equal(breaker.state, 'closed');
      assert.deepEqual(transitions, []);
    });

    it('the same traffic with 60 % failures does open it (the test above can fail)', () => {
      const { breaker, clock } = breakerOn();
      const random = seededRandom(20240607);
      for (let i = 0; i < 200 && breaker.state === 'closed'; i++) {
        clock.advance(10);
        record(breaker, 1, random() < 0.6 ? 'failure' : 'success');
      }
      assert.equal(breaker.state, 'open');
    });
  });

  describe('open', () => {
    it('fails fast: attempts are refused with the time left of the cool-down', () => {
      const { breaker, clock } = openedBreaker();
      assert.deepEqual(breaker.permit(), { allowed: false, retryInMs: 5_000 });
      clock.advance(1_500);
      assert.deepEqual(breaker.permit(), { allowed: false, retryInMs: 3_500 });
      clock.advance(3_499);
      assert.deepEqual(breaker.permit(), { allowed: false, retryInMs: 1 });
      assert.equal(breaker.state, 'open');
    });

    it('outcomes of attempts let through before it opened change nothing', () => {
      const { breaker, clock, transitions } = openedBreaker();
      breaker.recordSuccess(false);
      breaker.recordFailure(false);
      clock.advance(1_000);
      assert.equal(breaker.state, 'open');
      assert.deepEqual(breaker.permit(), { allowed: false, retryInMs: 4_000 });
      assert.deepEqual(transitions, ['open']);
    });

    it('the default clock is monotonic: a wall clock stepped back an hour ends the cool-down on time', async () => {
      const real = Date.now.bind(Date);
      let step = 0;
      Date.now = () => real() + step;
      try {
        const breaker = new CircuitBreaker('token', { minimumRequests: 1, openMs: 20 });
        record(breaker, 1, 'failure');
        assert.equal(breaker.state, 'open');
        step = -3_600_000; // NTP steps the wall clock back an hour
        await new Promise((resolve) => setTimeout(resolve, 60));
        const permit = breaker.permit();
        assert.ok(permit.allowed && permit.probe !== false, JSON.stringify(permit));
      } finally {
        Date.now = real;
      }
    });
  });

  describe('half-open', () => {
    it('after openMs lets exactly one probe through; others wait (≤ 1 s) while it is out', () => {
      const { breaker, clock, transitions } = openedBreaker();
      clock.advance(5_000);
      assert.deepEqual(breaker.permit(), { allowed: true, probe: 1 });
      assert.equal(breaker.state, 'half-open');
      for (let i = 0; i < 5; i++) {
        assert.deepEqual(breaker.permit(), { allowed: false, retryInMs: 1_000 });
      }
      clock.advance(59_999);
      assert.deepEqual(breaker.permit(), { allowed: false, retryInMs: 1_000 });
      assert.deepEqual(transitions, ['open', 'half-open']);
    });

    it('a probe that never reports back is presumed lost after maxOpenMs (no stuck circuit)', () => {
      const { breaker, clock } = openedBreaker();
      clock.advance(5_000);
      assert.deepEqual(breaker.permit(), { allowed: true, probe: 1 });
      clock.advance(59_999);
      assert.deepEqual(breaker.permit(), { allowed: false, retryInMs: 1_000 });
      clock.advance(1);
      assert.deepEqual(breaker.permit(), { allowed: true, probe: 2 }, 'a new probe');
      assert.deepEqual(breaker.permit(), { allowed: false, retryInMs: 1_000 }, 'only one');
      breaker.recordSuccess(2);
      assert.equal(breaker.state, 'closed');
    });

    describe('the late outcome of a probe presumed lost (its timeout ≥ maxOpenMs) is ignored', () => {
      /** Probe 1 sent, presumed lost after maxOpenMs (60 s), probe 2 sent in its place. */
      function replacedProbe(): ReturnType<typeof breakerOn> & { lost: number; current: number } {
        const b = openedBreaker();
        b.clock.advance(5_000);
        const lost = probe(b.breaker);
        b.clock.advance(60_000);
        const current = probe(b.breaker, 'a new probe');
        assert.notEqual(current, lost);
        return { ...b, lost, current };
      }

      it('its failure after the new probe closed the circuit neither re-opens it nor counts', () => {
        const { breaker, transitions, lost, current } = replacedProbe();
        breaker.recordSuccess(current);
        assert.equal(breaker.state, 'closed');
        breaker.recordFailure(lost);
        assert.equal(breaker.state, 'closed');
        assert.deepEqual(transitions, ['open', 'half-open', 'closed']);
        record(breaker, 19, 'failure');
        assert.equal(breaker.state, 'closed', 'the window holds only the 19 new failures');
        breaker.recordFailure(false);
        assert.deepEqual(breaker.permit(), { allowed: false, retryInMs: 5_000 }, 'base cool-down');
      });

      it('its failure after the new probe failed does not double the cool-down again', () => {
        const { breaker, transitions, lost, current } = replacedProbe();
        breaker.recordFailure(current);
        assert.deepEqual(breaker.permit(), { allowed: false, retryInMs: 10_000 });
        breaker.recordFailure(lost);
        assert.deepEqual(breaker.permit(), { allowed: false, retryInMs: 10_000 });
        assert.deepEqual(transitions, ['open', 'half-open', 'open']);
      });

      it('its outcome while the new probe is out neither closes, re-opens nor frees the slot', () => {
        const { breaker, transitions, lost, current } = replacedProbe();
        breaker.recordSuccess(lost);
        breaker.recordFailure(lost);
        breaker.recordNeutral(lost);
        assert.equal(breaker.state, 'half-open');
        assert.deepEqual(breaker.permit(), { allowed: false, retryInMs: 1_000 }, 'one probe out');
        breaker.recordSuccess(current);
        assert.equal(breaker.state, 'closed');
        assert.deepEqual(transitions, ['open', 'half-open', 'closed']);
      });

      it('a probe of an earlier half-open period is ignored in a later one', () => {
        const { breaker, clock, lost, current } = replacedProbe();
        breaker.recordFailure(current); // re-opened for 10 s
        clock.advance(10_000);
        const next = probe(breaker);
        breaker.recordSuccess(lost);
        assert.equal(breaker.state, 'half-open');
        breaker.recordSuccess(next);
        assert.equal(breaker.state, 'closed');
      });

      it('an outcome reported twice counts once', () => {
        const { breaker, current } = replacedProbe();
        breaker.recordFailure(current);
        breaker.recordFailure(current);
        assert.deepEqual(breaker.permit(), { allowed: false, retryInMs: 10_000 });
      });
    });

    it('the probe wait is the cool-down when that is shorter than 1 s', () => {
      const { breaker, clock } = breakerOn({ minimumRequests: 1, openMs: 200 });
      record(breaker, 1, 'failure');
      clock.advance(200);
      assert.deepEqual(breaker.permit(), { allowed: true, probe: 1 });
      assert.deepEqual(breaker.permit(), { allowed: false, retryInMs: 200 });
    });

    it('a successful probe closes it, resets the window and the cool-down', () => {
      const { breaker, clock, transitions } = openedBreaker();
      clock.advance(5_000);
      breaker.recordFailure(probe(breaker)); // re-opened for 10 s
      clock.advance(10_000);
      assert.deepEqual(breaker.permit(), { allowed: true, probe: 2 });
      breaker.recordSuccess(2);
      assert.equal(breaker.state, 'closed');
      assert.deepEqual(transitions, ['open', 'half-open', 'open', 'half-open', 'closed']);
      record(breaker, 19, 'failure');
      assert.equal(breaker.state, 'closed', 'the window starts empty: 20 attempts again');
      breaker.recordFailure(false);
      assert.equal(breaker.state, 'open');
      assert.deepEqual(breaker.permit(), { allowed: false, retryInMs: 5_000 }, 'base cool-down');
    });

    it('a failed probe re-opens it, doubling the cool-down up to maxOpenMs', () => {
      const { breaker, clock, transitions } = openedBreaker();
      const coolDowns: number[] = [];
      let wait = 5_000;
      for (let i = 0; i < 6; i++) {
        clock.advance(wait);
        breaker.recordFailure(probe(breaker));
        assert.equal(breaker.state, 'open');
        const permit = breaker.permit();
        assert.ok(!permit.allowed);
        wait = permit.retryInMs;
        coolDowns.push(wait);
      }
      assert.deepEqual(coolDowns, [10_000, 20_000, 40_000, 60_000, 60_000, 60_000]);
      assert.equal(transitions.filter((t) => t === 'open').length, 7);
    });

    it('a neutral probe (429…) frees the slot: the next attempt is the probe', () => {
      const { breaker, clock, transitions } = openedBreaker();
      clock.advance(5_000);
      breaker.recordNeutral(probe(breaker));
      assert.equal(breaker.state, 'half-open');
      assert.deepEqual(breaker.permit(), { allowed: true, probe: 2 });
      assert.deepEqual(breaker.permit(), { allowed: false, retryInMs: 1_000 });
      assert.deepEqual(transitions, ['open', 'half-open']);
    });

    it('only the probe decides: late outcomes of older attempts neither close, re-open nor free it', () => {
      const { breaker, clock, transitions } = openedBreaker();
      clock.advance(5_000);
      const current = probe(breaker);
      breaker.recordFailure(false); // an attempt sent before the circuit opened, timing out now
      breaker.recordSuccess(false);
      breaker.recordNeutral(false);
      assert.equal(breaker.state, 'half-open');
      assert.deepEqual(breaker.permit(), { allowed: false, retryInMs: 1_000 }, 'still one probe');
      breaker.recordSuccess(current);
      assert.equal(breaker.state, 'closed');
      assert.deepEqual(transitions, ['open', 'half-open', 'closed']);
    });
  });
});
