import type { LayerPattern } from '@lowrank/compress';

/**
 * `--include`/`--exclude` values as compress takes them: a plain name stays an exact
 * name; one with `*` or `?` becomes a regular expression over the whole dotted name
 * (`*` any run of characters, `?` one character).
 */
export function layerPatterns(values: readonly string[]): LayerPattern[] {
  return values.map((value) => {
    if (!/[*?]/.test(value)) return value;
    const body = value
      .split('')
      .map((c) => (c === '*' ? '.*' : c === '?' ? '.' : c.replace(/[.+^${}()|[\]\\]/g, '\\$&')))
      .join('');
    return new RegExp(`^${body}$`);
  });
}
