import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  loadSubjects,
  problemsIn,
  testSources,
  type Subjects,
} from '../support/describe-convention';

const ROOT = join(__dirname, '..', '..');

describe('package: the describe convention of test/', () => {
  let subjects: Subjects;
  before(() => {
    subjects = loadSubjects(ROOT);
  });

  it('every test file names an export, a lib/ module, a file or a prefixed subject at the top', () => {
    const files = testSources(ROOT);
    assert.ok(files.length > 100, `${files.length} test files found`);
    const problems = files.flatMap((f) =>
      problemsIn(f, readFileSync(join(ROOT, f), 'utf8'), subjects),
    );
    assert.deepEqual(problems, []);
  });

  it('refuses module-less, misnamed and misplaced suites', () => {
    const check = (file: string, source: string): number =>
      problemsIn(file, source, subjects).length;
    // accepted
    assert.equal(
      check(
        'test/x.test.ts',
        "describe('TikTokClient', () => { describe('#getUserInfo', () => { it('a', () => {}); }); });",
      ),
      0,
    );
    assert.equal(
      check(
        'test/x.test.ts',
        "describe('client/parse', () => {}); describe('docs/emulator.md', () => {});",
      ),
      0,
    );
    assert.equal(
      check(
        'test/x.test.ts',
        "describe('emulator: authorize', () => {}); describe('example app: /profile', () => {});",
      ),
      0,
    );
    assert.equal(check('test/x.fuzz.test.ts', "describe('fuzz: safeReturnTo', () => {});"), 0);
    assert.equal(check('test/package/x.test.ts', "describe('package: exports', () => {});"), 0);
    // refused
    assert.equal(check('test/x.test.ts', "describe('security: open redirects', () => {});"), 1);
    assert.equal(
      check('test/x.test.ts', "describe('TikTokClient.getUserInfo (emulator)', () => {});"),
      1,
    );
    assert.equal(
      check(
        'test/x.test.ts',
        "describe('TikTokClient', () => { describe('#noSuchMethod', () => {}); });",
      ),
      1,
    );
    assert.equal(
      check(
        'test/x.test.ts',
        "describe('safeReturnTo', () => { describe('#getUserInfo', () => {}); });",
      ),
      1,
    );
    assert.equal(
      check(
        'test/x.test.ts',
        "describe('emulator: nothing', () => {}); describe('example app: /nowhere', () => {});",
      ),
      2,
    );
    assert.equal(check('test/x.test.ts', 'describe(`TikTokClient ${1}`, () => {});'), 1);
    assert.equal(check('test/x.test.ts', "it('stands alone', () => {});"), 2);
    assert.equal(check('test/x.test.ts', "describe('fuzz: safeReturnTo', () => {});"), 1);
    assert.equal(check('test/x.fuzz.test.ts', "describe('safeReturnTo', () => {});"), 1);
    assert.equal(check('test/client/x.test.ts', "describe('package: exports', () => {});"), 1);
    assert.equal(check('test/x.test.ts', "describe('lib/index.ts', () => {});"), 1);
  });
});
