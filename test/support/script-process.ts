import { spawn } from 'node:child_process';
import path from 'node:path';

const ROOT = path.join(__dirname, '..', '..');

/** How a script run by {@link runScript} ended. */
export interface ScriptOutcome {
  /** Its exit code; `null` when it was killed. */
  readonly code: number | null;
  /** True when it was still running after `timeoutMs` (then killed). */
  readonly timedOut: boolean;
  readonly stdout: string;
  readonly stderr: string;
  /** From start to exit (or to the kill), ms. */
  readonly ms: number;
}

/**
 * Runs `source` (CommonJS, `require('./lib')` from the repository root) in a Node process of its
 * own with tsx, and waits for it to exit by itself: nothing ends it but its event loop running
 * empty, or the kill after `timeoutMs`. For "does the process exit?" and "does this await settle
 * when nothing else keeps the process alive?".
 */
export function runScript(source: string, timeoutMs = 10_000): Promise<ScriptOutcome> {
  const started = Date.now();
  const child = spawn(process.execPath, ['--require', 'tsx/cjs', '-e', source], {
    cwd: ROOT,
    env: { ...process.env, TIKTOK_LOG_LEVEL: 'silent' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    child.kill('SIGKILL');
  }, timeoutMs);
  return new Promise((resolve, reject) => {
    child.once('error', reject);
    child.once('close', (code) => {
      clearTimeout(timer);
      resolve({ code, timedOut, stdout, stderr, ms: Date.now() - started });
    });
  });
}
