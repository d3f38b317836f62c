import { readFileSync } from 'node:fs';
import { BENCH_FIELDS } from '../fields';
import { serve } from '../ipc';
import type { LoadJob, LoadResult } from '../types';
import { appLogin, directLogin, type FlowContext } from './flows';
import { HttpClient } from './http';
import { runLoad } from './load';

/** The load driver: a process of its own, playing every browser of one run. */
async function run(params: unknown): Promise<LoadResult> {
  const job = params as LoadJob;
  const ca = job.caPath === undefined ? undefined : readFileSync(job.caPath);
  const client = new HttpClient(job.concurrency, ca, job.timeoutMs);
  const { target } = job;
  try {
    return await runLoad(
      job,
      (onRequest): FlowContext => ({ client, onRequest }),
      target.kind === 'app'
        ? (ctx) => appLogin(ctx, target.baseUrl)
        : (ctx) => directLogin(ctx, target.upstream, job.scopes, BENCH_FIELDS),
    );
  } finally {
    client.close();
  }
}

serve({ run });
