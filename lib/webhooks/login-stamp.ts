import { readSessionValue, writeSessionValue, type SessionLike } from '../state/session';

/** The session key TikTokStrategy writes at every successful login. */
export const LOGIN_STAMP_KEY = 'tiktokLogin';

/** Who logged in with TikTok in this session, and when. */
export interface TikTokLoginStamp {
  /** The user's `open_id`. */
  readonly openId: string;
  /**
   * When the login's tokens were issued (its code exchange was sent), epoch ms: a removal of the
   * authorization at or after this time ends the session.
   */
  readonly at: number;
}

/** The session's stamp, checked (it came back from the session store), or `undefined`. */
export function readLoginStamp(session: SessionLike): TikTokLoginStamp | undefined {
  const value = readSessionValue(session, LOGIN_STAMP_KEY);
  if (typeof value !== 'object' || value === null) return undefined;
  const openId: unknown = Reflect.get(value, 'openId');
  const at: unknown = Reflect.get(value, 'at');
  if (
    typeof openId !== 'string' ||
    openId === '' ||
    typeof at !== 'number' ||
    !Number.isFinite(at)
  ) {
    return undefined;
  }
  return { openId, at };
}

export function writeLoginStamp(session: SessionLike, stamp: TikTokLoginStamp | undefined): void {
  writeSessionValue(session, LOGIN_STAMP_KEY, stamp === undefined ? undefined : { ...stamp });
}
