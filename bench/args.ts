// The command-line options of the bench scripts: `--name value` and `--flag`.

/**
 * `arg(name, def)`: the word after `--name`, or `def`; `flag(name)`: whether
 * `--name` is present.
 *
 * @example
 * const { arg, flag } = benchArgs(process.argv.slice(2));
 * const steps = Number(arg('steps', '5000'));
 */
export function benchArgs(argv: readonly string[]): { arg: (name: string, def: string) => string; flag: (name: string) => boolean } {
  return {
    arg: (name, def) => {
      const i = argv.indexOf(`--${name}`);
      return i >= 0 ? argv[i + 1] : def;
    },
    flag: (name) => argv.includes(`--${name}`),
  };
}
