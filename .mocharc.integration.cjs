// `npm run test:integration`: only the suites that need Redis, Chromium, promtool or
// redis-server (`*.integration.test.ts`); everything else as in .mocharc.json.
module.exports = { ...require('./.mocharc.json'), spec: ['test/**/*.integration.test.ts'] };
