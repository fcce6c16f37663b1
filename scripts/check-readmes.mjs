// Runs every ```ts block of each package README (packages/*, plugins/*) with tsx from
// that package's directory, so that documented examples keep working.
// A block whose first line is `// not runnable` is skipped (signatures, sketches).
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const root = new URL('..', import.meta.url).pathname;
const dirs = ['packages', 'plugins'].flatMap((group) =>
  existsSync(join(root, group)) ? readdirSync(join(root, group)).map((d) => join(root, group, d)) : [],
);
let ran = 0;
let failed = 0;
for (const dir of dirs) {
  const readme = join(dir, 'README.md');
  if (!existsSync(readme)) continue;
  const blocks = [...readFileSync(readme, 'utf8').matchAll(/```ts\n([\s\S]*?)```/g)].map((m) => m[1]);
  blocks.forEach((code, i) => {
    if (code.startsWith('// not runnable')) return;
    const file = join(dir, `.readme-example-${i}.ts`);
    writeFileSync(file, code);
    try {
      execFileSync(join(root, 'node_modules/.bin/tsx'), [file], {
        cwd: dir,
        stdio: ['ignore', 'ignore', 'pipe'],
        timeout: 300_000,
      });
      ran++;
    } catch (e) {
      failed++;
      console.error(`README example ${i} of ${readme} failed:\n${e.stderr?.toString() ?? e}`);
    } finally {
      rmSync(file, { force: true });
    }
  });
}
console.log(`readme: ${ran} passed, ${failed} failed`);
process.exit(failed > 0 ? 1 : 0);
