import { describeValue } from '../describe-value';
/**
 * A retry budget shared by all operations of one client (the AWS SDK's "retry quota" scheme):
 * a retry spends tokens, a success earns some back. While most calls succeed the budget stays
 * full and every retry the policy allows is made; in an outage it drains after a few retries and
 * then retries stop, so retry traffic adds only a small fraction to the calls the app makes
 * (instead of multiplying an outage's load by `maxAttempts`).
 */
export interface RetryBudgetOptions {
  /** Tokens when full. Default: 100. */
  capacity?: number | undefined;
  /** Tokens a retry after an HTTP failure (5xx, 429, reset) spends. Default: 5. */
  retryCost?: number | undefined;
  /** Tokens a retry after a timeout spends (timeouts hold resources longer). Default: 10. */
  timeoutRetryCost?: number | undefined;
  /** Tokens a first-attempt success earns back. Default: 1. */
  successRefund?: number | undefined;
}

function nonNegative(value: number, name: string): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) {
    throw new TypeError(
      `TikTokClient option retryBudget.${name} must be a non-negative number, got ${describeValue(value)}`,
    );
  }
  return value;
}

export class RetryBudget {
  private readonly capacity: number;
  private readonly retryCost: number;
  private readonly timeoutRetryCost: number;
  private readonly successRefund: number;
  private tokens: number;

  constructor(options: RetryBudgetOptions = {}) {
    // Checked up front: a NaN capacity or cost would turn the budget off silently.
    this.capacity = nonNegative(options.capacity ?? 100, 'capacity');
    this.retryCost = nonNegative(options.retryCost ?? 5, 'retryCost');
    this.timeoutRetryCost = nonNegative(options.timeoutRetryCost ?? 10, 'timeoutRetryCost');
    this.successRefund = nonNegative(options.successRefund ?? 1, 'successRefund');
    this.tokens = this.capacity;
  }

  get available(): number {
    return this.tokens;
  }

  /** Spends the cost of one retry and returns it; undefined (nothing spent) when it cannot pay. */
  trySpend(afterTimeout: boolean): number | undefined {
    const cost = afterTimeout ? this.timeoutRetryCost : this.retryCost;
    if (this.tokens < cost) return undefined;
    this.tokens -= cost;
    return cost;
  }

  /**
   * Gives `spent` back whole (the retry that cost it succeeded, or was never sent because the
   * deadline ran out); with `spent` 0 (a first attempt succeeded) earns `successRefund`.
   */
  refund(spent: number): void {
    this.tokens = Math.min(this.capacity, this.tokens + (spent > 0 ? spent : this.successRefund));
  }
}
