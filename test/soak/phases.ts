import type { TikTokEmulator } from '../../lib/testing/index';
import type { Phase, PhaseKind } from './types';

/** The rotation: every fault phase is followed by a quiet one, where ≥ 99 % must succeed. */
const CYCLE: readonly PhaseKind[] = [
  'quiet',
  '503',
  'quiet',
  'hang',
  'quiet',
  'reset',
  'quiet',
  'invalid_grant',
  'quiet',
  'redis_restart',
];

export const PHASE_LABELS: Readonly<Record<PhaseKind, string>> = {
  quiet: 'no faults',
  '503': '30 % of token and user-info calls answer 503',
  hang: '10 % of user-info calls hang (never answered)',
  reset: '10 % of token calls reset before the headers, 15 % of user-info calls mid-body',
  invalid_grant: '15 % of token calls answer HTTP 200 {"error":"invalid_grant"}',
  redis_restart: "the soak's redis-server stops, then starts again on the same port",
};

/**
 * Phases of ~1/11 of the run (3 s to 30 s each), cycling through CYCLE; the last one is always
 * quiet, so a run ends with a clean measurement. 45 s → 11 phases of ~4 s: one full rotation.
 */
export function planPhases(durationMs: number): Phase[] {
  const length = Math.min(30_000, Math.max(3_000, durationMs / 11));
  const count = Math.max(1, Math.floor(durationMs / length));
  const kinds = Array.from({ length: count }, (_, i) => CYCLE[i % CYCLE.length] ?? 'quiet');
  kinds[count - 1] = 'quiet';
  return kinds.map((kind, index) => ({
    index,
    kind,
    startMs: Math.round(index * length),
    endMs: index === count - 1 ? durationMs : Math.round((index + 1) * length),
  }));
}

/** The phase at `atMs` from the start (the last one after the end). */
export function phaseAt(phases: readonly Phase[], atMs: number): Phase {
  const found = phases.find((p) => atMs >= p.startMs && atMs < p.endMs);
  const last = phases[phases.length - 1];
  if (found !== undefined) return found;
  if (last === undefined) throw new Error('no phases');
  return last;
}

/**
 * Queues every fault once, each active only while its phase runs (`match` reads the clock), so
 * that ending a phase needs no emulator reset (which would drop the codes of logins in flight).
 */
export function injectPhaseFaults(tt: TikTokEmulator, current: () => PhaseKind): void {
  const during = (kind: PhaseKind) => (): boolean => current() === kind;
  tt.inject('token', { status: 503, probability: 0.3, match: during('503') });
  tt.inject('userinfo', { status: 503, probability: 0.3, match: during('503') });
  tt.inject('userinfo', { hang: true, probability: 0.1, match: during('hang') });
  tt.inject('token', { reset: 'before-headers', probability: 0.1, match: during('reset') });
  tt.inject('userinfo', { reset: 'mid-body', probability: 0.15, match: during('reset') });
  tt.inject('token', {
    tiktokError: { error: 'invalid_grant', description: 'Authorization code is expired.' },
    probability: 0.15,
    match: during('invalid_grant'),
  });
}
