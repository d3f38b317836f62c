'use strict';
/* eslint-disable @typescript-eslint/no-require-imports -- a CommonJS child */
/* global performance */
// One cold import in a fresh process: `node import-child.js <module id or path>` prints
// {"ms":…, "rssBytes":…}: the time `require()` took and the RSS it added. Plain JavaScript, so
// that no TypeScript loader is measured with it (bench/README.md "Cold start").
const started = performance.now();
const rssBefore = process.memoryUsage.rss();
require(process.argv[2]);
const ms = performance.now() - started;
const rssBytes = process.memoryUsage.rss() - rssBefore;
process.stdout.write(`${JSON.stringify({ ms, rssBytes })}\n`);
