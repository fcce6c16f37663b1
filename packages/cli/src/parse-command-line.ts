import { type ParseArgsConfig, parseArgs } from 'node:util';
import { UsageError } from './usage-error.js';

export type OptionSpecs = NonNullable<ParseArgsConfig['options']>;

export interface ParsedCommandLine {
  values: Record<string, string | boolean | (string | boolean)[] | undefined>;
  positionals: string[];
}

/**
 * `parseArgs` in strict mode, its errors (unknown flag, missing value, a value given to a
 * switch) turned into usage errors that name the command whose help lists the flags.
 */
export function parseCommandLine(
  command: string,
  argv: readonly string[],
  options: OptionSpecs,
): ParsedCommandLine {
  try {
    const { values, positionals } = parseArgs({
      args: [...argv],
      options,
      strict: true,
      allowPositionals: true,
    });
    return { values: values as ParsedCommandLine['values'], positionals };
  } catch (e) {
    const message = e instanceof Error ? e.message : String(e);
    throw new UsageError(message.replace(/\. To specify a positional argument.*$/s, ''), command);
  }
}

/** The value of a string flag as given, or `undefined`. */
export function stringFlag(values: ParsedCommandLine['values'], name: string): string | undefined {
  const v = values[name];
  return typeof v === 'string' ? v : undefined;
}

/** An integer flag at least `min`, or `fallback` when absent. */
export function integerFlag(
  command: string,
  name: string,
  value: string | undefined,
  fallback: number,
  min = 0,
): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (value.trim() === '' || !Number.isSafeInteger(n) || n < min) {
    throw new UsageError(`--${name} must be an integer >= ${min}, got '${value}'`, command);
  }
  return n;
}

/** A finite number flag, positive (or non-negative with `allowZero`), or `fallback` when absent. */
export function numberFlag(
  command: string,
  name: string,
  value: string | undefined,
  fallback: number,
  { allowZero = false }: { allowZero?: boolean } = {},
): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  const ok = value.trim() !== '' && Number.isFinite(n) && (allowZero ? n >= 0 : n > 0);
  if (!ok) {
    throw new UsageError(
      `--${name} must be a ${allowZero ? 'non-negative' : 'positive'} number, got '${value}'`,
      command,
    );
  }
  return n;
}

/** A flag whose value is one of `choices`, or undefined when absent. */
export function choiceFlag<T extends string>(
  command: string,
  name: string,
  value: string | undefined,
  choices: readonly T[],
): T | undefined {
  if (value === undefined) return undefined;
  if (!(choices as readonly string[]).includes(value)) {
    throw new UsageError(`--${name} must be one of ${choices.join(', ')}; got '${value}'`, command);
  }
  return value as T;
}

/** A repeatable flag whose values may also be comma-separated lists. */
export function listFlag(values: ParsedCommandLine['values'], name: string): string[] {
  const v = values[name];
  const given = Array.isArray(v) ? v : v === undefined ? [] : [v];
  return given
    .filter((x): x is string => typeof x === 'string')
    .flatMap((x) => x.split(','))
    .map((x) => x.trim())
    .filter((x) => x !== '');
}

/** The single positional argument (the model file), or a usage error. */
export function onePositional(command: string, positionals: readonly string[], what: string): string {
  if (positionals.length === 0) throw new UsageError(`missing ${what}`, command);
  if (positionals.length > 1) {
    throw new UsageError(
      `expected one ${what}, got ${positionals.length}: ${positionals.join(' ')}`,
      command,
    );
  }
  return positionals[0];
}
