/** Command-line parsing helpers over node:util's parseArgs, with errors that name the flag. */
import { parseArgs, type ParseArgsConfig } from 'node:util';

export type Options = NonNullable<ParseArgsConfig['options']>;

/** Parses `argv` strictly; unknown flags and missing values give a usage error naming them. */
export function parse(command: string, argv: string[], options: Options, usage: string): Record<string, string | boolean | undefined> {
  try {
    const { values, positionals } = parseArgs({ args: argv, options: { ...options, help: { type: 'boolean', short: 'h' } }, allowPositionals: true, strict: true });
    if (values.help) {
      console.log(usage);
      process.exit(0);
    }
    if (positionals.length > 0) throw new Error(`unexpected argument '${positionals[0]}'`);
    return values as Record<string, string | boolean | undefined>;
  } catch (e) {
    throw new UsageError(`ssa-seg ${command}: ${(e as Error).message.replace(/^TypeError \[[A-Z_]+\]: /, '')}\n\n${usage}`);
  }
}

export class UsageError extends Error {}

/** A numeric flag, checked. */
export function num(flag: string, v: string | boolean | undefined, opts: { int?: boolean; min?: number } = {}): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (typeof v !== 'string' || v.trim() === '' || !Number.isFinite(n) || (opts.int && !Number.isInteger(n)) || (opts.min !== undefined && n < opts.min)) {
    throw new UsageError(`--${flag} must be ${opts.int ? 'an integer' : 'a number'}${opts.min !== undefined ? ` ≥ ${opts.min}` : ''}, got '${String(v)}'`);
  }
  return n;
}

export function str(v: string | boolean | undefined): string | undefined {
  return typeof v === 'string' ? v : undefined;
}
