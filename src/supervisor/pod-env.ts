/**
 * tspod's settings from the environment (`TSPOD_*`: the log rotation, the restart back-off of tests,
 * the CNI configuration directory, the node's configuration...) are read where they are used,
 * from `process.env`. In the one supervisor of many pods, they must be those of the `run -d` that
 * handed the pod over, not of whichever command happened to start the supervisor: each hosted pod
 * carries its command's `TSPOD_*` variables (SuperviseInput.env), and while the pod's code runs
 * (its AsyncLocalStorage context, last-resort.ts), `process.env` shows those in place of the
 * supervisor's own. Every other variable is the process's, unchanged.
 */
import type { AsyncLocalStorage } from 'node:async_hooks';

const OURS = /^TSPOD_/;

/** The `TSPOD_*` variables of `env`: what a command hands over with its pod. */
export function tspodSettings(env: NodeJS.ProcessEnv = process.env): Record<string, string> {
  return Object.fromEntries(
    Object.entries(env).filter((e): e is [string, string] => OURS.test(e[0]) && e[1] !== undefined),
  );
}

/**
 * A view of `base` in which the `TSPOD_*` variables are those of the current context's `env`
 * (when there is a context); installed as `process.env` by the supervisor (host-main.ts).
 */
export function envPerContext<T extends { env?: Record<string, string> }>(
  base: NodeJS.ProcessEnv,
  storage: AsyncLocalStorage<T>,
): NodeJS.ProcessEnv {
  const own = (): Record<string, string> | undefined => storage.getStore()?.env;
  const ours = (key: string | symbol): key is string => typeof key === 'string' && OURS.test(key);
  return new Proxy(base, {
    get: (t, key) => {
      const env = own();
      return env && ours(key) ? env[key] : (Reflect.get(t, key) as unknown);
    },
    has: (t, key) => {
      const env = own();
      return env && ours(key) ? key in env : Reflect.has(t, key);
    },
    ownKeys: (t) => {
      const env = own();
      return env ? [...Reflect.ownKeys(t).filter((k) => !ours(k)), ...Object.keys(env)] : Reflect.ownKeys(t);
    },
    getOwnPropertyDescriptor: (t, key) => {
      const env = own();
      if (!env || !ours(key)) return Reflect.getOwnPropertyDescriptor(t, key);
      return key in env ? { value: env[key], writable: true, enumerable: true, configurable: true } : undefined;
    },
  });
}
