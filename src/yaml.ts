/**
 * The YAML library, loaded the first time something reads or writes YAML (issue 15).
 *
 * Loading it costs a `tspod run` of a JSON manifest, or a `tspod ps`, several milliseconds for
 * nothing: most commands never parse or print YAML. In the CLI bundle esbuild turns the `require`
 * below into the bundled library's lazy initializer (the bundle defines `require` in every chunk),
 * so the library is evaluated on the first call; unbundled (the unit tests, dist/ modules), an ES
 * module has no `require`, and Node's createRequire loads the package itself.
 */
import { createRequire } from 'node:module';

type Yaml = typeof import('yaml');

let lib: Yaml | undefined;

export function yamlLib(): Yaml {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  lib ??= (typeof require === 'function' ? require('yaml') : createRequire(import.meta.url)('yaml')) as Yaml;
  return lib;
}
