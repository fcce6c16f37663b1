import type { Engine } from '../engine.js';
import { add, cast } from '../ops/elementwise.js';
import { formatShape, shapesEqual } from '../shape.js';
import type { Tensor } from '../tensor.js';
import { topologicalNodes } from './node.js';

/**
 * Reverse-mode sweep from `root`. Without `targets`, gradients are accumulated into
 * `.grad` of every leaf that requires them; with `targets`, their gradients are
 * returned (zeros where no path exists) and `.grad` is left alone. Runs without
 * recording, so gradients are first-order.
 */
export function runBackward(
  engine: Engine,
  root: Tensor,
  seed: Tensor | undefined,
  targets: readonly Tensor[] | undefined,
  retainGraph: boolean,
): Tensor[] | undefined {
  if (!root.requiresGrad) {
    throw new Error(
      `backward: tensor #${root.id} ${formatShape(root.shape)} does not require gradients; it was computed under noGrad or from tensors that do not require them`,
    );
  }
  if (!seed && root.size !== 1) {
    throw new RangeError(
      `backward: a gradient can be implied only for a scalar; tensor #${root.id} has shape ${formatShape(root.shape)}, pass the output gradient`,
    );
  }
  if (seed && !shapesEqual(seed.shape, root.shape)) {
    throw new RangeError(
      `backward: gradient shape ${formatShape(seed.shape)} does not match ${formatShape(root.shape)}`,
    );
  }
  const nodes = topologicalNodes([root]);
  for (const node of nodes) {
    if (node.released) {
      throw new Error(
        `backward: the graph through '${node.op}' was already released (by an earlier backward, or all tensors that could reach it were disposed); pass { retainGraph: true } to the first backward to run it twice`,
      );
    }
  }
  const targetSet = targets ? new Set(targets) : undefined;
  const grads = new Map<Tensor, Tensor>();

  engine.noGrad(() => {
    const accumulate = (t: Tensor, g: Tensor): void => {
      const prev = grads.get(t);
      if (prev) {
        grads.set(t, engine.keep(add(prev, g)));
        prev.dispose();
        g.dispose();
      } else {
        grads.set(t, engine.keep(g));
      }
    };
    accumulate(
      root,
      seed ? (seed.dtype === root.dtype ? seed.detach() : cast(seed, root.dtype)) : engine.onesLike(root),
    );

    for (let n = nodes.length - 1; n >= 0; n--) {
      const node = nodes[n];
      const dys = node.outputs.map((out, i) => {
        const dy = grads.get(out) ?? engine.keep(engine.zeros(node.outputShapes[i], out.dtype));
        grads.set(out, dy);
        return dy;
      });
      const needed = node.inputs.map((input) => input.requiresGrad || targetSet?.has(input) === true);
      const inputGrads = engine.tidy(() => node.gradFn(dys, node.saved, needed));
      node.inputs.forEach((input, i) => {
        const g = inputGrads[i];
        if (!g || !needed[i]) return;
        if (!shapesEqual(g.shape, input.shape)) {
          throw new Error(
            `backward: the gradient of '${node.op}' for input ${i} has shape ${formatShape(g.shape)}, expected ${formatShape(input.shape)} (a bug in that op's gradient)`,
          );
        }
        // Each input accumulates its own handle (a grad fn may pass a dy through or return one
        // tensor for two inputs). Mixed-dtype ops promote, so a gradient is cast back to the
        // dtype of its tensor (as PyTorch), which optimizer updates rely on.
        accumulate(input, g.dtype === input.dtype ? g.detach() : cast(g, input.dtype));
      });
      const passedThrough = new Set<Tensor | null>(dys);
      for (const g of new Set(inputGrads)) if (g && !passedThrough.has(g)) g.dispose();
      for (let i = 0; i < node.outputs.length; i++) {
        const out = node.outputs[i];
        if (!targetSet?.has(out)) {
          dys[i].dispose();
          grads.delete(out);
        }
      }
      if (!retainGraph) node.release(false);
    }
  });

  if (targets) {
    // The sweep keeps its gradients out of every scope; hand the caller ordinary tensors
    // that its tidy scope owns, and free the rest (non-target leaves that require grad).
    const out = targets.map((t) => grads.get(t)?.detach() ?? engine.zerosLike(t));
    for (const g of grads.values()) g.dispose();
    return out;
  }
  for (const [t, g] of grads) {
    if (t.node === null && t.requiresGrad) {
      if (t.grad) {
        const sum = engine.keep(engine.noGrad(() => add(t.grad!, g)));
        t.grad.dispose();
        g.dispose();
        t.grad = sum;
      } else {
        t.grad = g;
      }
    } else {
      g.dispose();
    }
  }
  return undefined;
}
