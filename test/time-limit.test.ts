import assert from 'node:assert/strict';
import { withinTime } from '../lib/time-limit';
import { runScript } from './support/script-process';

describe('time-limit', () => {
  describe('withinTime', () => {
    it('resolves or rejects with the work, and with the timeout error after ms', async () => {
      assert.equal(await withinTime(Promise.resolve(1), 1000, () => new Error('late')), 1);
      await assert.rejects(
        withinTime(Promise.reject(new Error('boom')), 1000, () => new Error('late')),
        /boom/,
      );
      await assert.rejects(
        withinTime(new Promise(() => undefined), 20, () => new Error('late')),
        /late/,
      );
    });

    it('an await on it settles when the work holds nothing that keeps the process alive', async () => {
      // NOTE: an unreferenced timer let such a script exit 0 at once, the await never settled.
      const outcome = await runScript(`
        const { withinTime } = require('./lib/time-limit');
        withinTime(new Promise(() => undefined), 200, () => new Error('no answer within 200 ms'))
          .then(() => console.log('resolved'), (err) => console.log('rejected: ' + err.message));
      `);
      assert.equal(outcome.timedOut, false);
      assert.equal(outcome.stdout.trim(), 'rejected: no answer within 200 ms', outcome.stderr);
      assert.equal(outcome.code, 0);
    });

    it('keepAlive false: the timer does not keep the process alive', async () => {
      const outcome = await runScript(`
        const { withinTime } = require('./lib/time-limit');
        withinTime(new Promise(() => undefined), 5000, () => new Error('late'), false)
          .then(() => console.log('resolved'), (err) => console.log('rejected: ' + err.message));
      `);
      assert.equal(outcome.timedOut, false);
      assert.equal(outcome.stdout, '', outcome.stderr);
      assert.ok(outcome.ms < 4000, `exited after ${outcome.ms} ms`);
    });
  });
});
