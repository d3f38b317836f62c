/**
 * What a login runs, counted: V8's precise coverage with call counts (the inspector's
 * `Profiler.takePreciseCoverage`) over a window of logins, summarised per part of the app.
 * Unlike CPU time these counts do not depend on the machine's load: two runs of one build give
 * the same figures, so a change to the login path shows in them even when it is inside the
 * shared-core noise. NOTE: V8 counts a call of an async function once per resumption, and a class
 * with fields once more for its field initialiser.
 */

/** The inspector's per-script coverage (the fields read here). */
export interface ScriptCoverage {
  readonly url: string;
  readonly functions: ReadonlyArray<{
    readonly functionName: string;
    readonly ranges: ReadonlyArray<{
      readonly startOffset: number;
      readonly endOffset: number;
      readonly count: number;
    }>;
  }>;
}

/** Where a function lives: the strategy under test, the code every app shares, or node itself. */
export type FootprintPart = 'strategy' | 'shared' | 'node';

export interface PartFootprint {
  /** Functions run at least once per two logins: the code a login keeps touching. */
  readonly functions: number;
  /** Function calls per login. */
  readonly callsPerLogin: number;
  /** Source characters of those functions (a proxy for their code size). */
  readonly sourceChars: number;
}

export interface FunctionCount {
  readonly name: string;
  readonly file: string;
  readonly callsPerLogin: number;
  readonly sourceChars: number;
}

export interface Footprint {
  readonly logins: number;
  readonly parts: Record<FootprintPart, PartFootprint>;
  /** Optimized machine code per part (undefined where V8 wrote no perf map). */
  readonly machineCode?: Record<FootprintPart, MachineCode>;
  /** The strategy's functions, most called first. */
  readonly strategyFunctions: readonly FunctionCount[];
}

/** Packages that are a competitor's strategy (its own code, not the app's). */
const STRATEGY_PACKAGES = [
  '/node_modules/passport-oauth2/',
  '/node_modules/oauth/',
  '/node_modules/passport-tiktok-auth/',
];

/**
 * The part a script belongs to, or undefined for the bench's own harness in the app process
 * (its IPC, counters and this summary), which is no app's code. `packageDir` is the directory of
 * this package's build that the app loads.
 */
export function partOf(url: string, packageDir: string): FootprintPart | undefined {
  if (url.startsWith('node:')) return 'node';
  // Code compiled from a string (eval, `new Function`, `[eval]`, `evalmachine.<anonymous>`) has
  // no path: nobody's in particular.
  if (!url.includes('/')) return undefined;
  const path = url.startsWith('file://') ? decodeURIComponent(new URL(url).pathname) : url;
  if (path.startsWith(`${packageDir}/`)) return 'strategy';
  if (path.includes('/bench/app/plugins/')) return 'strategy';
  if (STRATEGY_PACKAGES.some((p) => path.includes(p))) return 'strategy';
  if (path.includes('/node_modules/')) return 'shared';
  // The app factory is every competitor's app; the rest of bench/ is the harness.
  if (path.endsWith('/bench/app/factory.ts') || path.endsWith('/bench/app/plugin.ts')) {
    return 'shared';
  }
  return undefined;
}

/**
 * Per-login figures from one coverage window of `logins` logins. Functions run less than once
 * per two logins (timers, pool housekeeping) are left out of the distinct count and the calls.
 */
export function summarize(
  scripts: readonly ScriptCoverage[],
  logins: number,
  packageDir: string,
): Footprint {
  const parts: Record<
    FootprintPart,
    { functions: number; callsPerLogin: number; sourceChars: number }
  > = {
    strategy: { functions: 0, callsPerLogin: 0, sourceChars: 0 },
    shared: { functions: 0, callsPerLogin: 0, sourceChars: 0 },
    node: { functions: 0, callsPerLogin: 0, sourceChars: 0 },
  };
  const strategyFunctions: FunctionCount[] = [];
  for (const script of scripts) {
    const part = partOf(script.url, packageDir);
    if (part === undefined) continue;
    for (const fn of script.functions) {
      // The first range is the function's own; the others are its blocks (none in function mode).
      const range = fn.ranges[0];
      // A script's top level (offset 0, no name) runs once, at load.
      if (range === undefined || (range.startOffset === 0 && fn.functionName === '')) continue;
      const perLogin = range.count / logins;
      if (perLogin < 0.5) continue;
      const chars = range.endOffset - range.startOffset;
      const p = parts[part];
      p.functions += 1;
      p.callsPerLogin += perLogin;
      p.sourceChars += chars;
      if (part === 'strategy') {
        strategyFunctions.push({
          name: fn.functionName === '' ? '(anonymous)' : fn.functionName,
          file: script.url.split('/').slice(-2).join('/'),
          callsPerLogin: perLogin,
          sourceChars: chars,
        });
      }
    }
  }
  strategyFunctions.sort(
    (a, b) => b.callsPerLogin - a.callsPerLogin || b.sourceChars - a.sourceChars,
  );
  return { logins, parts, strategyFunctions };
}

/** V8's event log of a `--footprint` app (`%p`: its pid), removed by the app at exit. */
export const V8_LOG_PATTERN = '/tmp/footprint-v8-%p.log';

/** Optimized (TurboFan) machine code of one part of the app, from V8's perf map. */
export interface MachineCode {
  readonly bytes: number;
  readonly functions: number;
}

/**
 * The optimized machine code each part holds, from the lines of `/tmp/perf-<pid>.map`
 * (`node --perf-basic-prof`: `<address> <size, hex> JS:*<name> <file>:<line>:<column>`, `*` for
 * TurboFan). A function optimized more than once counts with its last code. NOTE: this is the
 * code a warm app runs over and over (V8 optimizes hot functions only), with what TurboFan
 * inlined into it; on a core shared with another busy process it is re-fetched into the caches
 * after every switch, so its size is a cost of its own.
 */
export function machineCode(
  perfMap: string,
  packageDir: string,
): Record<FootprintPart, MachineCode> {
  const last = new Map<string, { part: FootprintPart; bytes: number }>();
  for (const line of perfMap.split('\n')) {
    // NOTE: a name can hold a space (`get current`, `set maxAge`): the file is what starts with
    // a path, `node:` or `file:`.
    const match = /^[0-9a-f]+ ([0-9a-f]+) JS:\*(.*?) ((?:\/|node:|file:).*):(\d+):(\d+)$/.exec(
      line,
    );
    if (match === null) continue;
    const [, size = '0', name = '', file = '', row = '', column = ''] = match;
    const part = partOf(file, packageDir);
    if (part === undefined) continue;
    // The same function optimized again (after a deoptimization) replaces its earlier code.
    last.set(`${name} ${file}:${row}:${column}`, { part, bytes: Number.parseInt(size, 16) });
  }
  const parts: Record<FootprintPart, { bytes: number; functions: number }> = {
    strategy: { bytes: 0, functions: 0 },
    shared: { bytes: 0, functions: 0 },
    node: { bytes: 0, functions: 0 },
  };
  for (const { part, bytes } of last.values()) {
    parts[part].bytes += bytes;
    parts[part].functions += 1;
  }
  return parts;
}
