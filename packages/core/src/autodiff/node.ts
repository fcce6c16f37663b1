import type { Shape } from '../shape.js';
import type { Tensor } from '../tensor.js';

/** Tensors an op kept for its backward pass (clones that own a reference to the data). */
export interface SavedTensors {
  inputs: Tensor[];
  outputs: Tensor[];
}

/**
 * Computes the gradients of an op's inputs from the gradients of its outputs. Entries
 * may be null for inputs that take no gradient (indices, masks).
 */
export type GradFn = (dys: Tensor[], saved: SavedTensors) => (Tensor | null)[];

let nextNodeId = 0;

/** One recorded op in the autodiff graph; the graph hangs off the output tensors. */
export class GradNode {
  readonly id = nextNodeId++;
  released = false;
  constructor(
    readonly op: string,
    /** The input tensors, held for identity and for their own nodes (their data may be gone). */
    readonly inputs: readonly Tensor[],
    readonly outputShapes: readonly Shape[],
    /** Output tensors by index, for looking up their gradients. */
    public outputs: Tensor[],
    public gradFn: GradFn | null,
    public saved: SavedTensors,
  ) {}

  /** Frees what the node holds for its backward pass. */
  release(): void {
    if (this.released) return;
    this.released = true;
    for (const t of this.saved.inputs) t.dispose();
    for (const t of this.saved.outputs) t.dispose();
    this.saved = { inputs: [], outputs: [] };
    this.gradFn = null;
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
