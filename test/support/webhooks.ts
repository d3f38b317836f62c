import request from 'supertest';
import type { Express } from 'express';
import { buildTikTokWebhookBody, signTikTokWebhook } from '../../lib/testing';

export const WEBHOOK_SECRET = 'webhook-test-client-secret-canary';
export const WEBHOOK_CLIENT_KEY = 'webhook-test-client-key';
export const NOW_MS = 1_800_000_000_000;
export const NOW_S = NOW_MS / 1000;

/** A TikTok-shaped body for `event` about `userOpenId` (created at NOW_S unless given). */
export function webhookBody(
  event = 'authorization.removed',
  content: unknown = { reason: 1 },
  userOpenId = 'open-id-webhook-1',
  createTime = NOW_S,
): string {
  return buildTikTokWebhookBody({
    clientKey: WEBHOOK_CLIENT_KEY,
    event,
    userOpenId,
    content,
    createTime,
  });
}

/** POSTs a body with a signature header (default: valid for NOW_S and the test secret; null: none). */
export function postWebhook(
  app: Express,
  body: string | Buffer,
  signature: string | null = signTikTokWebhook(body, WEBHOOK_SECRET, NOW_S),
  path = '/webhooks/tiktok',
): request.Test {
  const req = request(app).post(path).set('Content-Type', 'application/json');
  if (signature !== null) req.set('TikTok-Signature', signature);
  return req.send(typeof body === 'string' ? body : body.toString('latin1'));
}
