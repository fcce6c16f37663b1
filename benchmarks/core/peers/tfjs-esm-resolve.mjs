// Resolve hook: tfjs-core's ESM dist imports files without extensions (and has both
// gradients.js and a gradients/ directory); a relative specifier there resolves to its .js file.
export async function resolve(specifier, context, nextResolve) {
  if (
    specifier.startsWith('.') &&
    !specifier.endsWith('.js') &&
    context.parentURL?.includes('/tfjs-core/dist/')
  )
    return nextResolve(`${specifier}.js`, context);
  return nextResolve(specifier, context);
}
