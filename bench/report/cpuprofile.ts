import { readFileSync } from 'node:fs';
import { table } from './format';

/** The parts of a V8 `.cpuprofile` the summary reads. */
interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  hitCount?: number;
  children?: number[];
}
interface CpuProfile {
  nodes: ProfileNode[];
  startTime: number;
  endTime: number;
  samples: number[];
}

/** Where a function lives: an npm package, a file of this package's dist/, node itself, or V8. */
export function areaOf(url: string, functionName: string): string {
  if (url === '') return functionName === '' ? '(anonymous native)' : functionName;
  const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(url);
  if (pkg?.[1] !== undefined) return pkg[1];
  const dist = /\/dist\/(.+)$/.exec(url);
  if (dist?.[1] !== undefined) return `passport-tiktok dist/${dist[1]}`;
  if (url.startsWith('node:')) return url;
  const bench = /\/bench\/(.+)$/.exec(url);
  return bench?.[1] === undefined ? url : `bench/${bench[1]}`;
}

export interface ProfileSummary {
  readonly totalMs: number;
  readonly byArea: [string, number][];
  readonly byFunction: [string, number][];
  /** Time spent in and under this package's functions (outermost frame of each stack). */
  readonly inclusive: [string, number][];
}

const label = (node: ProfileNode): string => {
  const { functionName, url, lineNumber } = node.callFrame;
  const where = url === '' ? '' : ` ${areaOf(url, functionName)}:${lineNumber + 1}`;
  return `${functionName || '(anonymous)'}${where}`;
};

/** Inclusive time of frames matching `pick`, counting each function once per stack. */
function inclusiveTimes(
  nodes: readonly ProfileNode[],
  msPerSample: number,
  pick: (node: ProfileNode) => boolean,
): Map<string, number> {
  const byId = new Map(nodes.map((n) => [n.id, n]));
  const totals = new Map<string, number>();
  const own = new Map<number, number>();
  const total = (node: ProfileNode): number => {
    const cached = own.get(node.id);
    if (cached !== undefined) return cached;
    let ms = (node.hitCount ?? 0) * msPerSample;
    for (const id of node.children ?? []) {
      const child = byId.get(id);
      if (child !== undefined) ms += total(child);
    }
    own.set(node.id, ms);
    return ms;
  };
  const stack: { node: ProfileNode; seen: ReadonlySet<string> }[] = [];
  if (nodes[0] !== undefined) stack.push({ node: nodes[0], seen: new Set() });
  for (let item = stack.pop(); item !== undefined; item = stack.pop()) {
    let seen = item.seen;
    const name = label(item.node);
    if (pick(item.node) && !seen.has(name)) {
      totals.set(name, (totals.get(name) ?? 0) + total(item.node));
      seen = new Set([...seen, name]);
    }
    for (const id of item.node.children ?? []) {
      const child = byId.get(id);
      if (child !== undefined) stack.push({ node: child, seen });
    }
  }
  return totals;
}

/** Self time by area and by function (ms), from sample counts. */
export function summarizeProfile(path: string): ProfileSummary {
  const profile = JSON.parse(readFileSync(path, 'utf8')) as CpuProfile;
  const totalMs = (profile.endTime - profile.startTime) / 1000;
  const msPerSample = totalMs / Math.max(1, profile.samples.length);
  const byArea = new Map<string, number>();
  const byFunction = new Map<string, number>();
  for (const node of profile.nodes) {
    const ms = (node.hitCount ?? 0) * msPerSample;
    if (ms === 0) continue;
    const { functionName, url } = node.callFrame;
    const area = areaOf(url, functionName);
    byArea.set(area, (byArea.get(area) ?? 0) + ms);
    byFunction.set(label(node), (byFunction.get(label(node)) ?? 0) + ms);
  }
  const ours = inclusiveTimes(profile.nodes, msPerSample, (n) =>
    areaOf(n.callFrame.url, n.callFrame.functionName).startsWith('passport-tiktok '),
  );
  const sorted = (m: Map<string, number>): [string, number][] => [...m].sort((a, b) => b[1] - a[1]);
  return {
    totalMs,
    byArea: sorted(byArea),
    byFunction: sorted(byFunction),
    inclusive: sorted(ours),
  };
}

/** The top rows of a summary as markdown tables. */
export function renderProfile(s: ProfileSummary, limit = 20): string {
  const share = (ms: number): string => `${((100 * ms) / s.totalMs).toFixed(1)} %`;
  const rows = (entries: [string, number][]): string[][] =>
    entries.slice(0, limit).map(([name, ms]) => [name, ms.toFixed(0), share(ms)]);
  const inclusive =
    s.inclusive.length === 0
      ? []
      : [
          '',
          'Inclusive time under passport-tiktok frames (async continuations are attributed to the',
          'frame that resumed them: read these as indications):',
          '',
          table(['passport-tiktok function (inclusive)', 'ms', 'share'], rows(s.inclusive)),
        ];
  return [
    `Profiled ${(s.totalMs / 1000).toFixed(1)} s of the app process.`,
    '',
    table(['area (self time)', 'ms', 'share'], rows(s.byArea)),
    '',
    table(['function (self time)', 'ms', 'share'], rows(s.byFunction)),
    ...inclusive,
  ].join('\n');
}
