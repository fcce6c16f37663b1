// Vitest global setup: the bin tests run dist/bin.js, so build it when it is missing or
// older than the sources (turbo builds only a package's dependencies before its tests).
import { execFileSync } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export default function setup(): void {
  const root = fileURLToPath(new URL('..', import.meta.url));
  const bin = `${root}dist/bin.js`;
  const built = (() => {
    try {
      return statSync(bin).mtimeMs;
    } catch {
      return -1;
    }
  })();
  const newest = Math.max(...readdirSync(`${root}src`).map((f) => statSync(`${root}src/${f}`).mtimeMs));
  if (built < newest) execFileSync('pnpm', ['run', 'build'], { cwd: root, stdio: 'inherit' });
}
