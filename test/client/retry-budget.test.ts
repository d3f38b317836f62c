import assert from 'node:assert/strict';
import { TikTokClient } from '../../lib';
import { RetryBudget, type RetryBudgetOptions } from '../../lib/client/retry-budget';
import { seededRandom } from '../support/prng';

/**
 * What runOperation does with the budget, for one operation: attempt, and on a failure retry
 * (up to `maxAttempts`) only when the budget pays; a success refunds. `fails()` decides each
 * attempt. Returns the attempts made and whether a retry was refused.
 */
function operation(
  budget: RetryBudget,
  fails: () => boolean,
  maxAttempts = 3,
): { attempts: number; ok: boolean; refused: boolean } {
  let spent = 0;
  for (let attempt = 1; ; attempt++) {
    if (!fails()) {
      budget.refund(spent);
      return { attempts: attempt, ok: true, refused: false };
    }
    if (attempt >= maxAttempts) return { attempts: attempt, ok: false, refused: false };
    const cost = budget.trySpend(false);
    if (cost === undefined) return { attempts: attempt, ok: false, refused: true };
    spent = cost;
  }
}

describe('client/retry-budget', () => {
  describe('constructed', () => {
    it('starts full (100 tokens by default)', () => {
      assert.equal(new RetryBudget().available, 100);
      assert.equal(new RetryBudget({ capacity: 7 }).available, 7);
    });

    const invalid: [keyof RetryBudgetOptions, number][] = [
      ['capacity', Number.NaN],
      ['capacity', -1],
      ['retryCost', Number.POSITIVE_INFINITY],
      ['timeoutRetryCost', -10],
      ['successRefund', Number.NaN],
    ];
    for (const [option, value] of invalid) {
      it(`${option}: ${String(value)} is a TypeError naming the option`, () => {
        assert.throws(() => new RetryBudget({ [option]: value }), {
          name: 'TypeError',
          message: `TikTokClient option retryBudget.${option} must be a non-negative number, got ${String(value)}`,
        });
      });
    }

    it('a TikTokClient with a bad retryBudget option throws at construction', () => {
      const options = { clientKey: 'k', clientSecret: 's', redirectUri: 'https://app.test/cb' };
      assert.throws(() => new TikTokClient({ ...options, retryBudget: { retryCost: -1 } }), {
        name: 'TypeError',
        message: /retryBudget\.retryCost/,
      });
    });
  });

  describe('spending and refunds', () => {
    it('a retry after an HTTP failure costs 5; after a timeout 10', () => {
      const budget = new RetryBudget();
      assert.equal(budget.trySpend(false), 5);
      assert.equal(budget.available, 95);
      assert.equal(budget.trySpend(true), 10);
      assert.equal(budget.available, 85);
    });

    it('refuses a retry it cannot pay, and spends nothing then', () => {
      const budget = new RetryBudget({ capacity: 12 });
      assert.equal(budget.trySpend(true), 10);
      assert.equal(budget.trySpend(true), undefined);
      assert.equal(budget.available, 2);
      assert.equal(budget.trySpend(false), undefined);
      assert.equal(budget.available, 2);
    });

    it('a success after a retry refunds that retry; a first-attempt success earns 1', () => {
      const budget = new RetryBudget();
      budget.trySpend(false);
      budget.trySpend(true);
      budget.refund(10);
      assert.equal(budget.available, 95);
      budget.refund(0);
      assert.equal(budget.available, 96);
    });

    it('never holds more than its capacity', () => {
      const budget = new RetryBudget({ capacity: 20, successRefund: 3 });
      budget.trySpend(false);
      for (let i = 0; i < 10; i++) budget.refund(0);
      assert.equal(budget.available, 20);
      budget.refund(5);
      assert.equal(budget.available, 20);
    });
  });

  describe('economics', () => {
    it('drains in an outage: 200 failing operations make 20 retries, not 400', () => {
      const budget = new RetryBudget();
      const runs = Array.from({ length: 200 }, () => operation(budget, () => true));
      const attempts = runs.reduce((sum, r) => sum + r.attempts, 0);
      assert.equal(attempts, 200 + 100 / 5);
      assert.ok(attempts <= 200 * 1.1, `${attempts} attempts`);
      assert.equal(runs.filter((r) => r.refused).length, 190, 'the first 10 took 2 retries each');
      assert.ok(budget.available < 5);
    });

    it('timeouts drain it twice as fast (10 per retry)', () => {
      const budget = new RetryBudget();
      let granted = 0;
      while (budget.trySpend(true) !== undefined) granted += 1;
      assert.equal(granted, 10);
    });

    it('refills under mostly-successful traffic: 100 first-attempt successes fill it again', () => {
      const budget = new RetryBudget();
      for (let i = 0; i < 200; i++) operation(budget, () => true);
      const empty = budget.available;
      for (let i = 0; i < 100 - empty; i++) operation(budget, () => false);
      assert.equal(budget.available, 100);
    });

    it('with 20 % of attempts failing at random it never refuses a retry (10 000 operations)', () => {
      const budget = new RetryBudget();
      const random = seededRandom(7);
      let lowest = budget.available;
      let failed = 0;
      for (let i = 0; i < 10_000; i++) {
        const run = operation(budget, () => random() < 0.2);
        assert.equal(run.refused, false, `operation ${i} was refused a retry`);
        if (!run.ok) failed += 1;
        lowest = Math.min(lowest, budget.available);
      }
      assert.ok(lowest >= 50, `the budget went down to ${lowest}`); // it drifts up: +0.56 per operation
      assert.ok(failed < 150, `${failed} of 10 000 failed all 3 attempts (expected ~80)`);
    });

    it('with 60 % failing it does refuse retries (the test above can fail)', () => {
      const budget = new RetryBudget();
      const random = seededRandom(7);
      const refused = Array.from({ length: 1_000 }, () =>
        operation(budget, () => random() < 0.6),
      ).filter((r) => r.refused).length;
      assert.ok(refused > 100, `${refused} refused`);
    });
  });
});
