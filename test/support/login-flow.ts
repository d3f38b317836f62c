import assert from 'node:assert/strict';
import request from 'supertest';
import type { Server } from 'node:http';
import { field } from './json';

export type Agent = ReturnType<typeof request.agent>;
export type TestResponse = request.Response;

/** A cookie-keeping browser for one test app. */
export function browser(server: Server): Agent {
  return request.agent(server);
}

/** Path and query of an absolute URL: what the browser requests from the app. */
export function pathOf(url: string): string {
  const parsed = new URL(url);
  return parsed.pathname + parsed.search;
}

/** Issuing the authorization request: the app answers 302 to the emulator's authorize URL. */
export async function startLogin(agent: Agent, path = '/auth/tiktok'): Promise<URL> {
  const res = await agent.get(path);
  assert.equal(res.status, 302, `start should redirect, got ${res.status}: ${res.text}`);
  const location = res.headers.location;
  assert.equal(typeof location, 'string');
  return new URL(String(location));
}

/** The emulator's (auto-approved) consent: returns the app path TikTok sends the browser back to. */
export async function consent(authorizeUrl: URL): Promise<string> {
  const res = await fetch(authorizeUrl, { redirect: 'manual' });
  const body = await res.text();
  assert.equal(res.status, 302, `authorize should redirect back, got ${res.status}: ${body}`);
  const location = res.headers.get('location');
  assert.ok(location !== null);
  return pathOf(location);
}

/** Start → consent → callback; returns the callback response (302 to returnTo on success). */
export async function login(agent: Agent, startPath = '/auth/tiktok'): Promise<TestResponse> {
  const callback = await consent(await startLogin(agent, startPath));
  return agent.get(callback).set('Accept', 'application/json');
}

/** The `state` of an authorize URL. */
export function stateOf(authorizeUrl: URL): string {
  const state = authorizeUrl.searchParams.get('state');
  assert.ok(state !== null && state.length === 64);
  return state;
}

/** Asserts a tiktokErrorHandler JSON answer and returns its error object. */
export function assertErrorJson(
  res: TestResponse,
  status: number,
  code: string,
): { code: string; message: string; correlationId: string; retryable: boolean } {
  assert.equal(res.status, status, `expected ${status} ${code}, got ${res.status}: ${res.text}`);
  assert.equal(field(res.body, 'error', 'code'), code);
  const correlationId = field(res.body, 'error', 'correlationId');
  const message = field(res.body, 'error', 'message');
  const retryable = field(res.body, 'error', 'retryable');
  assert.equal(typeof correlationId, 'string');
  assert.equal(res.headers['x-correlation-id'], correlationId);
  assert.equal(res.headers['cache-control'], 'no-store');
  assert.ok(typeof message === 'string' && typeof retryable === 'boolean');
  return { code, message, correlationId: String(correlationId), retryable };
}

/** The session cookie value (`connect.sid`) a response set, if any. */
export function sessionCookie(res: TestResponse): string | undefined {
  const header: unknown = res.headers['set-cookie'];
  const cookies = Array.isArray(header) ? header.map(String) : [];
  const sid = cookies.find((c) => c.startsWith('connect.sid='));
  return sid?.split(';')[0]?.slice('connect.sid='.length);
}
