// NestJS on Express: `PassportStrategy(TikTokStrategy, 'tiktok')` with @nestjs/passport's
// AuthGuard, logging in through the emulator. tsx (esbuild) emits no decorator metadata, so
// injection uses explicit `@Inject()` tokens, as an app compiled without emitDecoratorMetadata.
import 'reflect-metadata';
import assert from 'node:assert/strict';
import {
  Controller,
  Get,
  Inject,
  Injectable,
  Req,
  UseGuards,
  type INestApplication,
} from '@nestjs/common';
import { AuthGuard, PassportStrategy } from '@nestjs/passport';
import { Test } from '@nestjs/testing';
import type { Request } from 'express';
import session from 'express-session';
import request from 'supertest';
import { Server } from 'node:http';
import { TikTokStrategy, type TikTokProfile, type TikTokStrategyOptions } from '../../lib';
import { startTikTokEmulator, type TikTokEmulator } from '../../lib/testing';
import { consent } from '../support/login';

const TIKTOK_OPTIONS = 'TIKTOK_OPTIONS';
const CALLBACK_URL = 'http://localhost:3000/auth/tiktok/callback';

interface AppUser {
  tiktokId: string;
  name: string;
}

@Injectable()
class TikTokAuthStrategy extends PassportStrategy(TikTokStrategy, 'tiktok') {
  constructor(@Inject(TIKTOK_OPTIONS) options: TikTokStrategyOptions) {
    super({ ...options, scope: ['user.info.basic', 'user.info.profile'] });
  }

  validate(
    _accessToken: string,
    _refreshToken: string | undefined,
    profile: TikTokProfile,
  ): AppUser {
    return { tiktokId: profile.id, name: profile.displayName };
  }
}

@Controller('auth/tiktok')
class AuthController {
  @Get()
  @UseGuards(AuthGuard('tiktok'))
  login(): void {
    // The guard redirects to TikTok.
  }

  @Get('callback')
  @UseGuards(AuthGuard('tiktok'))
  callback(@Req() req: Request): unknown {
    return { user: req.user, correlationId: req.authInfo?.correlationId };
  }
}

describe('TikTokStrategy', () => {
  describe('NestJS: PassportStrategy(TikTokStrategy) logs in through the emulator', () => {
    let tt: TikTokEmulator;
    let app: INestApplication;
    let server: Server;

    before(async () => {
      tt = await startTikTokEmulator({ autoApprove: true, redirectUris: [CALLBACK_URL] });
      const options: TikTokStrategyOptions = {
        clientKey: tt.clientKey,
        clientSecret: tt.clientSecret,
        callbackURL: CALLBACK_URL,
        ...tt.endpoints,
      };
      const moduleRef = await Test.createTestingModule({
        controllers: [AuthController],
        providers: [TikTokAuthStrategy, { provide: TIKTOK_OPTIONS, useValue: options }],
      }).compile();
      app = moduleRef.createNestApplication();
      app.useLogger(false);
      app.use(session({ secret: 'nest-test', resave: false, saveUninitialized: false }));
      await app.init();
      const http: unknown = app.getHttpServer();
      assert.ok(http instanceof Server);
      server = http as Server;
    });
    afterEach(() => tt.reset());
    after(async () => {
      await app.close();
      await tt.close();
    });

    it('the start redirects to TikTok with the client key and scopes', async () => {
      const res = await request(server).get('/auth/tiktok').expect(302);
      const url = new URL(String(res.headers.location));
      assert.equal(`${url.origin}${url.pathname}`, tt.endpoints.authorizationURL);
      assert.equal(url.searchParams.get('client_key'), tt.clientKey);
      assert.equal(url.searchParams.get('scope'), 'user.info.basic,user.info.profile');
      assert.equal(url.searchParams.get('redirect_uri'), CALLBACK_URL);
    });

    it('the callback runs validate() and the route gets its user', async () => {
      const browser = request.agent(server);
      const start = await browser.get('/auth/tiktok').expect(302);
      const callback = await consent(new URL(String(start.headers.location)));
      const res = await browser.get(callback).expect(200);
      const body: unknown = res.body;
      assert.ok(typeof body === 'object' && body !== null);
      assert.deepEqual(Reflect.get(body, 'user'), {
        tiktokId: 'emulator-open-id-1',
        name: 'Emulator User',
      });
      assert.match(String(Reflect.get(body, 'correlationId')), /^tiktok-\d+-[0-9a-f]{8}$/);
      assert.equal(tt.count('token', { grantType: 'authorization_code' }), 1);
    });

    it('a denied login is a 401 from the guard, with no token call', async () => {
      tt.setConsent({ decision: 'deny' });
      const browser = request.agent(server);
      const start = await browser.get('/auth/tiktok').expect(302);
      const callback = await consent(new URL(String(start.headers.location)));
      await browser.get(callback).expect(401);
      assert.equal(tt.count('token'), 0);
    });
  });
});
