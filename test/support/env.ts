/** Runs `fn` with some environment variables set (string) or removed (undefined), then restores them. */
export function withEnv<T>(vars: Record<string, string | undefined>, fn: () => T): T {
  const saved = Object.fromEntries(Object.keys(vars).map((name) => [name, process.env[name]]));
  const apply = (values: Record<string, string | undefined>): void => {
    for (const [name, value] of Object.entries(values)) {
      if (value === undefined) Reflect.deleteProperty(process.env, name);
      else process.env[name] = value;
    }
  };
  apply(vars);
  try {
    return fn();
  } finally {
    apply(saved);
  }
}

/** The client's configuration variables, all unset: the base for constructor tests. */
export const NO_TIKTOK_ENV: Readonly<Record<string, undefined>> = {
  TIKTOK_CLIENT_KEY: undefined,
  TIKTOK_CLIENT_SECRET: undefined,
  TIKTOK_REDIRECT_URI: undefined,
  NEXT_PUBLIC_TIKTOK_REDIRECT_URI: undefined,
};
