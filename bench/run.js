'use strict';
/* eslint-disable @typescript-eslint/no-require-imports -- a CommonJS launcher */
// Thin launcher: the harness is TypeScript (bench/*.ts), run through tsx's CommonJS hook.
// `npm run bench` builds dist/ first; see bench/README.md.
require('tsx/cjs');
require('./main.ts');
