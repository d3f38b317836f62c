import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createTikTokMetrics } from 'passport-tiktok';
import { Registry } from 'prom-client';
import { balanced, identifiersOf, readAlertRules } from '../support/alert-rules';

const DIR = join(__dirname, '../../example/prometheus');
const RULES = join(DIR, 'alerts.yml');

/** The series names createTikTokMetrics() really exports (histograms with their suffixes). */
function exportedNames(): Set<string> {
  const registry = new Registry();
  createTikTokMetrics(registry);
  const names = registry.getMetricsAsArray().map((m) => m.name);
  return new Set(names.flatMap((n) => [n, `${n}_bucket`, `${n}_sum`, `${n}_count`]));
}

describe('example/prometheus/alerts.yml', () => {
  const rules = readAlertRules(readFileSync(RULES, 'utf8'));

  describe('structure (without promtool)', () => {
    it('holds the six alerts with their thresholds, durations and severities', () => {
      assert.deepEqual(
        rules.map((r) => [r.alert, r.for, r.severity, /(?:>|<) [0-9.]+$/.exec(r.expr)?.[0]]),
        [
          ['TikTokOAuthErrorRateHigh', '5m', 'warning', '> 0.10'],
          ['TikTokOAuthTimeoutRateHigh', '5m', 'critical', '> 0.05'],
          ['TikTokOAuthSuccessRateLow', '10m', 'critical', '< 0.90'],
          ['TikTokOAuthRetryRateHigh', '5m', 'warning', '> 0.15'],
          ['TikTokOAuthLatencyHigh', '10m', 'warning', '> 0.5'],
          ['TikTokLoginsFailing', '5m', 'critical', '> 0.10'],
        ],
      );
    });

    it('the retry-rate and latency expressions divide the right series', () => {
      assert.equal(
        rules[3]?.expr,
        'sum(rate(tiktok_oauth_retries_total[5m])) / sum(rate(tiktok_oauth_requests_total[5m])) > 0.15',
      );
      assert.equal(
        rules[4]?.expr,
        'sum(rate(tiktok_oauth_request_duration_seconds_sum[5m])) / sum(rate(tiktok_oauth_request_duration_seconds_count[5m])) > 0.5',
      );
    });

    it('the failed-logins ratio counts only logins that succeeded or failed on our side', () => {
      assert.equal(
        rules[5]?.expr,
        'sum(rate(tiktok_oauth_logins_total{kind="error"}[5m])) / sum(rate(tiktok_oauth_logins_total{kind=~"error|success"}[5m])) > 0.10',
      );
    });

    it('the error-rate and success-rate expressions leave out the codes TikTok refuses', () => {
      const refused =
        '(sum(rate(tiktok_oauth_requests_total{operation="token_exchange",outcome="INVALID_TOKEN"}[5m])) or vector(0))';
      assert.equal(
        rules[0]?.expr,
        `( sum(rate(tiktok_oauth_requests_total{outcome!="success"}[5m])) - ${refused} ) / ( sum(rate(tiktok_oauth_requests_total[5m])) - ${refused} ) > 0.10`,
      );
      assert.equal(
        rules[2]?.expr,
        `sum(rate(tiktok_oauth_requests_total{outcome="success"}[5m])) / ( sum(rate(tiktok_oauth_requests_total[5m])) - ${refused} ) < 0.90`,
      );
    });

    it('every expression has balanced (), [] and {}', () => {
      for (const rule of rules) assert.ok(balanced(rule.expr), rule.alert);
      assert.equal(balanced('sum(rate(x[5m])'), false, 'the check itself can fail');
    });

    it('every expression uses only metric names createTikTokMetrics() exports (and sum, rate, or, vector)', () => {
      const allowed = new Set([...exportedNames(), 'sum', 'rate', 'or', 'vector']);
      for (const rule of rules) {
        const unknown = identifiersOf(rule.expr).filter((id) => !allowed.has(id));
        assert.deepEqual(unknown, [], rule.alert);
      }
      assert.deepEqual(
        identifiersOf('sum(rate(tiktok_oauth_request_total[5m]))').filter((id) => !allowed.has(id)),
        ['tiktok_oauth_request_total'],
      );
    });
  });
});
