import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { RedisStore } from 'connect-redis';
import type { SessionData } from 'express-session';
import {
  anchors,
  brokenLink,
  linkedPath,
  markdownFiles,
  relativeLinks,
  REPOSITORY_BLOB,
  slug,
} from '../support/markdown';

const ROOT = resolve(__dirname, '../..');

describe('package: docs', () => {
  describe('documentation', () => {
    it('README.md stays a front page: at most 20 KB', () => {
      const size = statSync(join(ROOT, 'README.md')).size;
      assert.ok(size <= 20 * 1024, `README.md is ${size} bytes; move reference material to docs/`);
    });

    it("docs/strategy.md states connect-redis's expiry of a session without a cookie maxAge: its ttl option, one day by default", async () => {
      const expiry = async (options: { ttl?: number }): Promise<unknown> => {
        let seen: unknown;
        const client = {
          set: (_key: string, _value: string, opts: unknown): Promise<void> => {
            seen = opts;
            return Promise.resolve();
          },
        };
        const store = new RedisStore({ client, ...options });
        await store.set('sid', { cookie: {} } as unknown as SessionData);
        return seen;
      };
      assert.deepEqual(await expiry({}), { expiration: { type: 'EX', value: 86_400 } });
      assert.deepEqual(await expiry({ ttl: 3600 }), { expiration: { type: 'EX', value: 3600 } });
      const doc = readFileSync(join(ROOT, 'docs', 'strategy.md'), 'utf8').replace(/\s+/g, ' ');
      assert.ok(
        doc.includes(
          "(connect-redis: the cookie's `maxAge`, else its `ttl` option, one day by default)",
        ),
      );
    });

    it('SECURITY.md stays a policy: at most 10 KB', () => {
      const size = statSync(join(ROOT, 'SECURITY.md')).size;
      assert.ok(
        size <= 10 * 1024,
        `SECURITY.md is ${size} bytes; details go to docs/security-review.md`,
      );
    });

    it('every relative link of every Markdown file resolves, anchors included', () => {
      const files = markdownFiles(ROOT);
      assert.ok(files.includes('README.md') && files.includes(join('docs', 'README.md')));
      const links = files.flatMap((file) => relativeLinks(ROOT, file));
      assert.ok(links.length >= 50, `expected the docs' links, found ${links.length}`);
      const broken = links
        .map((link) => ({ link, why: brokenLink(ROOT, link) }))
        .filter((b) => b.why !== undefined)
        .map((b) => `${b.link.file}: (${b.link.target}) ${b.why ?? ''}`);
      assert.deepEqual(broken, []);
    });

    it('the Markdown files npm ships link relatively only to files npm ships (others by their GitHub address)', () => {
      const manifest: unknown = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8'));
      const entries: unknown =
        typeof manifest === 'object' && manifest !== null ? Reflect.get(manifest, 'files') : [];
      assert.ok(Array.isArray(entries) && entries.every((e) => typeof e === 'string'));
      const shipped = (path: string): boolean =>
        ['package.json', 'README.md', 'LICENSE'].includes(path) ||
        entries.some((entry: string) =>
          entry.endsWith('/')
            ? path.startsWith(entry)
            : new RegExp(
                `^${entry.replace(/[.+?^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '[^/]*')}$`,
              ).test(path),
        );
      const files = markdownFiles(ROOT).filter(shipped);
      assert.ok(files.includes('README.md') && files.includes(join('docs', 'strategy.md')));
      assert.equal(shipped(join('bench', 'README.md')), false);
      const unshipped = files
        .flatMap((file) => relativeLinks(ROOT, file))
        .filter((link) => !link.target.startsWith(REPOSITORY_BLOB))
        .filter((link) => !shipped(linkedPath(ROOT, link)))
        .map(
          (link) =>
            `${link.file}: (${link.target}) use ${REPOSITORY_BLOB}${linkedPath(ROOT, link)}`,
        );
      assert.deepEqual(unshipped, []);
    });

    it('the link check catches a missing file, a missing anchor and an unknown API page', () => {
      const check = (target: string): string | undefined =>
        brokenLink(ROOT, { file: 'docs/README.md', target });
      assert.equal(check('strategy.md#returnto'), undefined);
      assert.equal(check('api/passport-tiktok/interfaces/TikTokClientOptions.md'), undefined);
      assert.match(
        check('api/passport-tiktok/interfaces/NoSuchOptions.md') ?? '',
        /no such file: docs\/api\/passport-tiktok\/interfaces\/NoSuchOptions\.md/,
      );
      assert.match(check('no-such-page.md') ?? '', /no such file: docs\/no-such-page\.md/);
      assert.match(check('strategy.md#no-such-heading') ?? '', /no heading for #no-such-heading/);
      assert.match(check('../README.md#nope') ?? '', /no heading/);
      assert.equal(check(`${REPOSITORY_BLOB}bench/README.md#competitors`), undefined);
      assert.match(check(`${REPOSITORY_BLOB}bench/README.md#nope`) ?? '', /no heading/);
      assert.match(check(`${REPOSITORY_BLOB}bench/NOPE.md`) ?? '', /no such file: bench\/NOPE\.md/);
      assert.equal(
        slug('Why did the login fail? `getTikTokLoginFailure(req)`'),
        'why-did-the-login-fail-gettiktokloginfailurereq',
      );
      assert.ok(
        anchors(join(ROOT, 'docs', 'strategy.md')).has('sessions-and-cookies-tiktok-needs'),
      );
    });
  });

  describe('pointers in lib/', () => {
    // Messages and comments send readers to `docs/<page>.md, "<heading>"`: that heading must exist.
    const pointers = (): { file: string; page: string; heading: string }[] => {
      const found: { file: string; page: string; heading: string }[] = [];
      const walk = (dir: string): void => {
        for (const name of readdirSync(dir)) {
          const path = join(dir, name);
          if (statSync(path).isDirectory()) walk(path);
          else if (name.endsWith('.ts')) {
            // A comment's pointer may wrap: its line breaks and comment markers become spaces.
            const text = readFileSync(path, 'utf8').replace(/\s*\n\s*(?:\*(?!\/)|\/\/)?\s*/g, ' ');
            for (const m of text.matchAll(/docs\/([a-z-]+\.md),? "([^"]+)"/g)) {
              found.push({ file: relative(ROOT, path), page: m[1] ?? '', heading: m[2] ?? '' });
            }
          }
        }
      };
      walk(join(ROOT, 'lib'));
      return found;
    };

    it('every docs/<page>.md, "<heading>" in lib/ names a heading of that page', () => {
      const found = pointers();
      assert.ok(found.length >= 5, `expected lib's pointers into docs/, found ${found.length}`);
      const missing = found
        .filter((p) => !anchors(join(ROOT, 'docs', p.page)).has(slug(p.heading)))
        .map((p) => `${p.file}: docs/${p.page}, "${p.heading}"`);
      assert.deepEqual(missing, []);
    });
  });

  // Comments and docs cite TikTok's developer pages or this repository's docs/, never notes kept
  // outside the repository.
  describe('no references to files outside the repository', () => {
    const OUTSIDE = [
      ['design', 'md'],
      ['reliability', 'md'],
      ['style', 'md'],
    ].map(([name, ext]) => new RegExp(`\\b${name ?? ''}\\.${ext ?? ''}\\b`));
    // docs/tiktok-api.md is this repository's own page; a bare `tiktok-api.md` outside docs/ is not.
    const BARE_TIKTOK_API = /(?<![\w/])tiktok-api\.md\b/;
    const SHARED = /\.\.\/shared\b/;
    const FOLDERS = ['lib', 'test', 'example', 'bench', '.ci', 'docs'];
    const SKIP = new Set(['node_modules', 'dist', 'results', 'api', '.readme-blocks']);

    function textFiles(): string[] {
      const found: string[] = [];
      const walk = (dir: string): void => {
        for (const name of readdirSync(dir)) {
          const path = join(dir, name);
          if (SKIP.has(name)) continue;
          if (statSync(path).isDirectory()) walk(path);
          else if (/\.(ts|js|mjs|cjs|json|md|yml|yaml|sh)$|^run$/.test(name)) found.push(path);
        }
      };
      for (const folder of FOLDERS) walk(join(ROOT, folder));
      for (const name of readdirSync(ROOT)) {
        if (/\.(md|json|mjs)$/.test(name) && name !== 'package-lock.json')
          found.push(join(ROOT, name));
      }
      return found;
    }

    it('no file cites notes kept outside the repository', () => {
      const offenders: string[] = [];
      for (const path of textFiles()) {
        const rel = relative(ROOT, path);
        if (rel === join('test', 'package', 'docs.test.ts')) continue; // the patterns themselves
        readFileSync(path, 'utf8')
          .split('\n')
          .forEach((line, i) => {
            const bareTikTokApi = !rel.startsWith('docs/') && BARE_TIKTOK_API.test(line);
            if (OUTSIDE.some((re) => re.test(line)) || SHARED.test(line) || bareTikTokApi) {
              offenders.push(`${rel}:${String(i + 1)}: ${line.trim()}`);
            }
          });
      }
      assert.deepEqual(offenders, []);
    });
  });
});
