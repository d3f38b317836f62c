import { fork, type ChildProcess } from 'node:child_process';
import { closeSync, openSync } from 'node:fs';
import { join } from 'node:path';
import { call } from '../../bench/ipc';
import type { SoakAppConfig, SoakAppFinal, SoakAppStats } from './types';

/**
 * The app under soak in a process of its own (tsx's CommonJS hook, `--expose-gc`), its stdout and
 * stderr going to files that the secret scan reads too. A premature exit is a crash.
 */
export class AppProcess {
  private exitedEarly = false;
  private finishing = false;

  private constructor(
    private readonly child: ChildProcess,
    readonly baseUrl: string,
  ) {
    child.on('exit', () => {
      if (!this.finishing) this.exitedEarly = true;
    });
  }

  static async start(
    config: SoakAppConfig,
    output: { stdout: string; stderr: string },
  ): Promise<AppProcess> {
    const out = openSync(output.stdout, 'a');
    const err = openSync(output.stderr, 'a');
    try {
      const child = fork(join(__dirname, 'app-child.ts'), [], {
        execArgv: ['--require', 'tsx/cjs', '--expose-gc'],
        stdio: ['ignore', out, err, 'ipc'],
      });
      const { baseUrl } = await call<{ baseUrl: string }>(child, 'start', config);
      return new AppProcess(child, baseUrl);
    } finally {
      closeSync(out);
      closeSync(err);
    }
  }

  get crashed(): boolean {
    return this.exitedEarly;
  }

  /** Memory and health; `gc` forces a collection first (for the baseline and final readings). */
  stats(gc: boolean): Promise<SoakAppStats> {
    return call<SoakAppStats>(this.child, 'stats', gc);
  }

  /** Closes the app (flushing its log files) and ends the process. */
  async finish(): Promise<SoakAppFinal> {
    this.finishing = true;
    const result = await call<SoakAppFinal>(this.child, 'finish');
    await this.kill();
    return result;
  }

  async kill(): Promise<void> {
    this.finishing = true;
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    const gone = new Promise<void>((resolve) => this.child.once('exit', () => resolve()));
    this.child.kill('SIGTERM');
    await gone;
  }
}
