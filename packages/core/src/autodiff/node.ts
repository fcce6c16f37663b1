import type { Shape } from '../shape.js';
import type { Tensor } from '../tensor.js';

/** Tensors an op kept for its backward pass (clones that own a reference to the data). */
export interface SavedTensors {
  inputs: Tensor[];
  outputs: Tensor[];
}

/**
 * Computes the gradients of an op's inputs from the gradients of its outputs. Entries
 * may be null for inputs that take no gradient (indices, masks). `needed[i]` says whether
 * input i's gradient is used at all: an op may return null there to skip costly work
 * (a first conv's gradient with respect to the images).
 */
export type GradFn = (dys: Tensor[], saved: SavedTensors, needed: readonly boolean[]) => (Tensor | null)[];

let nextNodeId = 0;

/**
 * One recorded op in the autodiff graph; the graph hangs off the output tensors.
 * A node frees what it saved as soon as nothing can reach it any more: all of its
 * outputs are disposed and no live node consumes them (or a backward pass used it).
 */
export class GradNode {
  readonly id = nextNodeId++;
  released = false;
  /** Outputs not yet disposed. */
  private liveOutputs: number;
  /** Nodes that take one of this node's outputs as an input and are not yet released. */
  private consumers = 0;

  constructor(
    readonly op: string,
    /** The input tensors, held for identity and for their own nodes (their data may be gone). */
    readonly inputs: readonly Tensor[],
    readonly outputShapes: readonly Shape[],
    /** Output tensors by index, for looking up their gradients. */
    readonly outputs: readonly Tensor[],
    private gradFnValue: GradFn | null,
    private savedValue: SavedTensors,
  ) {
    this.liveOutputs = outputs.length;
    for (const input of new Set(inputs)) if (input.node) input.node.consumers++;
  }

  get gradFn(): GradFn {
    if (!this.gradFnValue) throw new Error(`autodiff: the graph through '${this.op}' was released`);
    return this.gradFnValue;
  }
  get saved(): SavedTensors {
    return this.savedValue;
  }

  /** Called when one of the outputs is disposed. */
  outputDisposed(): void {
    this.liveOutputs--;
    this.releaseIfUnreachable();
  }

  /**
   * Frees what the node holds for its backward pass and, with `cascade`, lets its input
   * nodes go if they are now unreachable. A backward sweep releases every node it
   * visits itself, so it must not cascade into nodes it has yet to visit.
   */
  release(cascade = true): void {
    if (this.released) return;
    this.released = true;
    for (const t of this.savedValue.inputs) t.dispose();
    for (const t of this.savedValue.outputs) t.dispose();
    this.savedValue = { inputs: [], outputs: [] };
    this.gradFnValue = null;
    for (const input of new Set(this.inputs)) {
      if (input.node) {
        input.node.consumers--;
        if (cascade) input.node.releaseIfUnreachable();
      }
    }
  }

  private releaseIfUnreachable(): void {
    if (this.liveOutputs <= 0 && this.consumers <= 0) this.release();
  }
}

/** Nodes reachable from `roots` through node inputs, each once, in topological order (inputs first). */
export function topologicalNodes(roots: readonly Tensor[]): GradNode[] {
  const order: GradNode[] = [];
  const seen = new Set<GradNode>();
  const stack: { node: GradNode; next: number }[] = [];
  for (const root of roots) {
    if (!root.node || seen.has(root.node)) continue;
    seen.add(root.node);
    stack.push({ node: root.node, next: 0 });
    while (stack.length > 0) {
      const top = stack[stack.length - 1];
      if (top.next < top.node.inputs.length) {
        const child = top.node.inputs[top.next++].node;
        if (child && !seen.has(child)) {
          seen.add(child);
          stack.push({ node: child, next: 0 });
        }
      } else {
        order.push(top.node);
        stack.pop();
      }
    }
  }
  return order;
}
