import { acceptCorrelationId } from '../correlation';
import { TikTokAPIError } from '../errors';

/**
 * Whether a middleware factory was mounted itself instead of the middleware it returns
 * (`app.use(tiktokErrorHandler)`, the `()` forgotten): Express then calls the factory with
 * `(req, res, next)`, and the function it returns is never run. When so, the request is failed at
 * once with a CONFIGURATION_ERROR naming the fix, instead of waiting forever for an answer.
 * NOTE: TypeScript does not catch the mistake: a factory whose only parameter is an options
 * object of optional properties is assignable to Express's handler types.
 */
export function failedAsUncalledFactory(
  name: string,
  options: unknown,
  mounted: readonly unknown[],
): boolean {
  const next = mounted[1];
  const req = requestOf(options);
  if (typeof next !== 'function' || req === undefined) return false;
  const error = new TikTokAPIError({
    code: 'CONFIGURATION_ERROR',
    correlationId: acceptCorrelationId(req.correlationId),
    message: `${name} is mounted without being called: Express calls the factory instead of the middleware it makes, and the request would never be answered. Mount ${name}() (with parentheses), e.g. app.use(${name}())`,
  });
  Reflect.apply(next, undefined, [error]);
  return true;
}

/**
 * The correlation ID candidate of an http.IncomingMessage as Express passes it (an object with a
 * method and headers), or undefined for anything else (an options object).
 */
function requestOf(value: unknown): { correlationId: unknown } | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  const headers: unknown = Reflect.get(value, 'headers');
  if (typeof Reflect.get(value, 'method') !== 'string') return undefined;
  if (typeof headers !== 'object' || headers === null) return undefined;
  return {
    correlationId:
      Reflect.get(value, 'tiktokCorrelationId') ?? Reflect.get(headers, 'x-correlation-id'),
  };
}

/**
 * What an uncalled factory returns to Express, which ignores it (the request was already failed
 * by {@link failedAsUncalledFactory}).
 */
export function ignoredMiddleware(..._args: unknown[]): void {
  // Never mounted: Express discards a handler's return value.
}
