import assert from 'node:assert/strict';
import { readConfig } from '../../example/config';

// Canary: a configuration error names the bad value, never the password inside it.
describe('example app: readConfig', () => {
  describe('REDIS_CLUSTER_NODES errors hide passwords', () => {
    const PASSWORD = 'hunter2-cluster-password';

    for (const entry of [
      `default:${PASSWORD}@node-1:not-a-port`,
      `redis://default:${PASSWORD}@node-1:99999`,
      `default:${PASSWORD}@node-1`,
      `redis://default:${PASSWORD}/x@node-1:6379`,
    ]) {
      it(`"${entry.replace(PASSWORD, '<password>')}" → a TypeError without the password`, () => {
        assert.throws(
          () => readConfig({ REDIS_CLUSTER_NODES: `10.0.0.1:6379,${entry}` }),
          (err: unknown) => {
            assert.ok(err instanceof TypeError);
            assert.match(err.message, /^REDIS_CLUSTER_NODES must list host:port/);
            assert.ok(!err.message.includes(PASSWORD), err.message);
            assert.match(err.message, /\*\*\*@node-1/);
            return true;
          },
        );
      });
    }
  });
});
