import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import express from 'express';
import session from 'express-session';
import request from 'supertest';
import ts from 'typescript';
import {
  MemoryClaimStore,
  MemoryRemovalList,
  MemoryTokenStore,
  TikTokAPIError,
  TikTokClient,
  TikTokStrategy,
  TikTokTokenManager,
  tiktokErrorHandler,
  tiktokReturnTo,
  tiktokWebhook,
  verifyTikTokWebhook,
} from '../../lib';
import { startTikTokEmulator } from '../../lib/testing';
import { PACKAGE_TYPE_CHECK } from '../support/api-surface';
import { makeTokens } from '../support/token-fixtures';

// The option types say `key?: T | undefined` (exactOptionalPropertyTypes users pass
// `process.env.X` through): an option given as `undefined` must mean "not given". Each options
// interface below is given every optional key as `undefined`; the keys come from the pinned
// public type surface, so an option added later is covered without editing this file.
const SNAPSHOT = join(__dirname, 'api-surface.snapshot.txt');

function undefinedOptions(entry: string, iface: string): Record<string, undefined> {
  const prefix = `${entry}:${iface}#`;
  const keys = readFileSync(SNAPSHOT, 'utf8')
    .split('\n')
    .filter((line) => line.startsWith(prefix))
    .map((line) => /^[^#]+#(\w+)\?:/.exec(line)?.[1])
    .filter((key): key is string => key !== undefined);
  assert.ok(keys.length > 0, `no optional keys of ${iface} in the snapshot`);
  return Object.fromEntries(keys.map((key) => [key, undefined]));
}

const none = (iface: string): Record<string, undefined> =>
  undefinedOptions('passport-tiktok', iface);

const CREDENTIALS = {
  clientKey: 'client-key',
  clientSecret: 'client-secret',
  redirectUri: 'https://app.example/auth/tiktok/callback',
};

/** The authorization URL's query without its per-call values (state, PKCE challenge). */
function fixedQuery(url: string): Record<string, string> {
  const query = Object.fromEntries(new URL(url).searchParams);
  delete query.state;
  delete query.code_challenge;
  return query;
}

describe('package: options given as undefined are defaults', () => {
  it('TikTokClient: every option undefined gives the default client', async () => {
    const client = new TikTokClient({ ...none('TikTokClientOptions'), ...CREDENTIALS });
    const plain = new TikTokClient(CREDENTIALS);
    assert.deepEqual(client.toJSON(), plain.toJSON());
    const url = await client.getAuthorizationUrl({
      ...none('AuthorizationUrlOptions'),
    });
    assert.deepEqual(fixedQuery(url.url), fixedQuery((await plain.getAuthorizationUrl()).url));
    assert.match(url.state, /^[0-9a-f]{64}$/);
    assert.equal(typeof url.codeVerifier, 'string');
  });

  it('TikTokStrategy: every option undefined starts the same login as the defaults', async () => {
    const redirectOf = async (strategy: TikTokStrategy): Promise<Record<string, string>> => {
      const app = express();
      app.use(session({ secret: 'test', resave: false, saveUninitialized: false }));
      app.get('/auth/tiktok', (req, res, next) => {
        strategy.redirect = (url: string) => res.redirect(url);
        strategy.error = next;
        strategy.authenticate(req, {});
      });
      const res = await request(app).get('/auth/tiktok').expect(302);
      return fixedQuery(String(res.headers.location));
    };
    const options = {
      clientKey: CREDENTIALS.clientKey,
      clientSecret: CREDENTIALS.clientSecret,
      callbackURL: CREDENTIALS.redirectUri,
    };
    const withUndefined = new TikTokStrategy({ ...none('TikTokStrategyOptions'), ...options });
    assert.deepEqual(
      await redirectOf(withUndefined),
      await redirectOf(new TikTokStrategy(options)),
    );
  });

  it('TikTokTokenManager and MemoryClaimStore: every option undefined works', async () => {
    const tt = await startTikTokEmulator({
      ...undefinedOptions('passport-tiktok/testing', 'TikTokEmulatorOptions'),
    });
    try {
      const openId = tt.addUser().openId;
      const client = new TikTokClient({
        ...CREDENTIALS,
        ...tt.endpoints,
        clientKey: tt.clientKey,
        clientSecret: tt.clientSecret,
      });
      const manager = new TikTokTokenManager({
        ...none('TikTokTokenManagerOptions'),
        client,
        store: new MemoryTokenStore(),
      });
      const tokens = makeTokens(openId);
      await manager.save(openId, tokens);
      assert.equal(await manager.getAccessToken(openId), tokens.access_token);
      const claims = new MemoryClaimStore({ ...none('MemoryClaimStoreOptions') });
      assert.equal(await claims.claim('k', 1000), true);
      assert.equal(await claims.claim('k', 1000), false);
    } finally {
      await tt.close();
    }
  });

  it('tiktokErrorHandler, tiktokReturnTo and tiktokWebhook: every option undefined is the default', async () => {
    const app = express();
    app.get('/fail', () => {
      throw new TikTokAPIError({
        code: 'SERVICE_UNAVAILABLE',
        message: 'down',
        correlationId: 'tiktok-1-abcdef01',
      });
    });
    app.get('/done', tiktokReturnTo({ ...none('TikTokReturnToOptions') }));
    app.post(
      '/webhook',
      tiktokWebhook({ ...none('TikTokWebhookOptions'), clientSecret: 'webhook-secret' }),
    );
    app.use(tiktokErrorHandler({ ...none('TikTokErrorHandlerOptions') }));
    const failed = await request(app).get('/fail').set('Accept', 'application/json').expect(503);
    assert.equal(failed.headers['retry-after'], '5');
    assert.equal((await request(app).get('/done').expect(302)).headers.location, '/');
    // Unsigned: refused by the signature check, as with the defaults.
    await request(app).post('/webhook').send('{}').expect(401);
    assert.throws(
      () =>
        verifyTikTokWebhook('{}', 't=1,s=00', {
          ...none('VerifyTikTokWebhookOptions'),
          clientSecret: 'webhook-secret',
        }),
      (err: unknown) => err instanceof TikTokAPIError && err.code === 'INVALID_SIGNATURE',
    );
    const removals = new MemoryRemovalList({ ...none('MemoryRemovalListOptions') });
    await removals.record('open-id-1', Date.now());
    assert.notEqual(await removals.removedAt('open-id-1'), undefined);
  });
});

// The types users build and hand to the package: the `*Options` interfaces and these. Their
// optional keys take `undefined` under exactOptionalPropertyTypes (`retryAfterSeconds:
// header ? Number(header) : undefined`, `previous: process.env.OLD_KEY ? [...] : undefined`).
const INPUT_TYPES: Record<string, readonly string[]> = {
  'lib/index.ts': ['TikTokAPIErrorInit', 'TokenEncryptionKeys'],
  'lib/testing/index.ts': [
    'EmulatorUserInput',
    'EmulatorConsent',
    'EmulatorWebhookEvent',
    'TikTokWebhookBodyInput',
  ],
};

/** The compiler options of an app built with exactOptionalPropertyTypes. */
const EXACT_OPTIONAL: ts.CompilerOptions = {
  ...PACKAGE_TYPE_CHECK,
  exactOptionalPropertyTypes: true,
};

/**
 * `Interface#key` of each optional key, inline object types included, whose declared type refuses
 * `undefined` when exactOptionalPropertyTypes is on (the api-surface snapshot, printed with it
 * off, shows `| undefined` either way).
 */
function keysRefusingUndefined(): string[] {
  const root = resolve(__dirname, '../..');
  const entries = Object.keys(INPUT_TYPES).map((entry) => join(root, entry));
  const program = ts.createProgram(entries, EXACT_OPTIONAL);
  const checker = program.getTypeChecker();
  const takesUndefined = (node: ts.TypeNode): boolean => {
    const type = checker.getTypeFromTypeNode(node);
    const any = ts.TypeFlags.Any | ts.TypeFlags.Unknown | ts.TypeFlags.Undefined;
    return (
      (type.flags & any) !== 0 || (type.isUnion() && type.types.some((t) => (t.flags & any) !== 0))
    );
  };
  const refusing: string[] = [];
  const visit = (name: string, members: ts.NodeArray<ts.TypeElement>): void => {
    for (const member of members) {
      if (!ts.isPropertySignature(member) || member.type === undefined) continue;
      const key = `${name}#${member.name.getText()}`;
      if (member.questionToken !== undefined && !takesUndefined(member.type)) refusing.push(key);
      const inner = member.type;
      const literals = ts.isUnionTypeNode(inner) ? inner.types : [inner];
      for (const literal of literals)
        if (ts.isTypeLiteralNode(literal)) visit(key, literal.members);
    }
  };
  for (const [entry, names] of Object.entries(INPUT_TYPES)) {
    const source = program.getSourceFile(join(root, entry));
    const module = source === undefined ? undefined : checker.getSymbolAtLocation(source);
    assert.ok(module, `${entry} not found`);
    const exported = new Map(checker.getExportsOfModule(module).map((s) => [s.name, s]));
    const optionsTypes = [...exported.keys()].filter((name) => name.endsWith('Options'));
    assert.ok(optionsTypes.length > 0, `${entry}: expected its *Options types`);
    for (const name of [...names, ...optionsTypes]) {
      const symbol = exported.get(name);
      assert.ok(symbol, `${entry} does not export ${name}`);
      const target =
        symbol.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(symbol) : symbol;
      for (const declaration of target.declarations ?? []) {
        if (ts.isInterfaceDeclaration(declaration)) visit(name, declaration.members);
      }
    }
  }
  return refusing;
}

describe('package: input types given undefined (exactOptionalPropertyTypes)', function () {
  this.timeout(60_000);

  it("every optional key of the types users build takes undefined, not only the *Options'", () => {
    assert.deepEqual(keysRefusingUndefined(), []);
  });

  it("an app's request-ID middleware can set req.tiktokCorrelationId from an optional header", () => {
    // Inside the repository, so that `express` resolves from its node_modules.
    const cache = resolve(__dirname, '../../node_modules/.cache');
    mkdirSync(cache, { recursive: true });
    const dir = mkdtempSync(join(cache, 'ptt-eopt-'));
    try {
      const file = join(dir, 'app.ts');
      const lib = resolve(__dirname, '../../lib').replace(/\\/g, '/');
      writeFileSync(
        file,
        [
          `import type { Request } from 'express';`,
          `import '${lib}';`,
          `export function requestId(req: Request): void {`,
          `  req.tiktokCorrelationId = req.get('x-request-id');`,
          `}`,
        ].join('\n'),
      );
      const program = ts.createProgram([file], EXACT_OPTIONAL);
      const errors = ts
        .getPreEmitDiagnostics(program)
        .filter((d) => d.file?.fileName === file)
        .map((d) => ts.flattenDiagnosticMessageText(d.messageText, '\n'));
      assert.deepEqual(errors, []);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
