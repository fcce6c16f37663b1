/** A name usable as a module member or buffer: letters, digits and '_'. */
export function memberName(raw: string): string {
  const cleaned = raw.replace(/[^A-Za-z0-9_]/g, '_');
  return cleaned === '' ? '_' : cleaned;
}

/**
 * The module path for a layer node, PyTorch's state-dict prefix where it can be recovered:
 * from the weight's name when it ends in `.weight` (`conv1.weight` -> `conv1`), else from
 * the node's scope name (`/layer1/c1/Conv` -> `layer1.c1`; PyTorch repeats a Sequential's
 * name, `/stem/stem.0/Conv` -> `stem.0`), else `<op><index>`.
 */
export function layerPath(weightName: string, nodeName: string, opType: string, index: number): string[] {
  if (weightName.endsWith('.weight')) {
    const parts = weightName.slice(0, -'.weight'.length).split('.');
    if (parts.every((p) => /^[A-Za-z0-9_]+$/.test(p))) return parts;
  }
  const scopes = nodeName.split('/').filter(Boolean).slice(0, -1);
  if (scopes.length > 0) {
    const parts: string[] = [];
    for (const [i, scope] of scopes.entries()) {
      const parent = scopes[i - 1];
      // '/stem/stem.0/...': the inner scope repeats its parent's name.
      const own =
        parent !== undefined && scope.startsWith(`${parent}.`) ? scope.slice(parent.length + 1) : scope;
      parts.push(...own.split('.').map(memberName));
    }
    return parts;
  }
  return [`${opType.toLowerCase()}${index}`];
}

/**
 * Hands out module paths without clashes: a path is free when no layer or container holds
 * it and no layer sits on one of its prefixes; otherwise `_1`, `_2`... is appended.
 */
export class PathAllocator {
  private readonly layers = new Set<string>();
  private readonly containers = new Set<string>();

  allocate(parts: readonly string[]): string[] {
    const prefixes = (p: readonly string[]) => p.slice(0, -1).map((_, j) => p.slice(0, j + 1).join('.'));
    // A layer on a prefix cannot also be a container: fall back to one flat name.
    if (prefixes(parts).some((p) => this.layers.has(p))) return this.allocate([parts.join('_')]);
    for (let i = 0; ; i++) {
      const candidate = i === 0 ? [...parts] : [...parts.slice(0, -1), `${parts[parts.length - 1]}_${i}`];
      const path = candidate.join('.');
      if (!this.layers.has(path) && !this.containers.has(path)) {
        for (const p of prefixes(candidate)) this.containers.add(p);
        this.layers.add(path);
        return candidate;
      }
    }
  }
}
