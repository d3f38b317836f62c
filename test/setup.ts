// Loaded by .mocharc.json before any test: keep the default winston logger quiet so test output
// stays readable (tests that check logging inject their own CaptureLogger).
process.env.TIKTOK_LOG_LEVEL ??= 'silent';
