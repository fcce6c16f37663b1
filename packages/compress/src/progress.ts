/** The steps of `compress`, in the order they run. */
export type Step =
  | 'select-layers'
  | 'evaluate-before'
  | 'calibrate'
  | 'select-ranks'
  | 'decompose'
  | 'replace'
  | 'evaluate-after'
  | 'fine-tune'
  | 'evaluate-fine-tuned';

/**
 * What `onProgress` hears: each step starts and ends; calibration, fine-tuning and
 * evaluation report their batches, decomposition its layers, fine-tuning its epochs;
 * a warning (also kept in the report) says what makes the result less trustworthy.
 */
export type ProgressEvent =
  | { type: 'step-start'; step: Step }
  | { type: 'step-end'; step: Step; seconds: number }
  | { type: 'batch'; step: Step; batch: number; epoch?: number; loss?: number }
  | { type: 'layer'; step: Step; layer: string; index: number; count: number; seconds: number }
  | { type: 'epoch'; step: Step; epoch: number; epochs: number; loss: number; accuracy?: number }
  | { type: 'warning'; step: Step; message: string };

export type OnProgress = (event: ProgressEvent) => void;

/** Runs one step between its start and end events. */
export async function runStep<T>(
  onProgress: OnProgress | undefined,
  step: Step,
  work: () => Promise<T> | T,
): Promise<T> {
  const started = performance.now();
  onProgress?.({ type: 'step-start', step });
  const result = await work();
  onProgress?.({ type: 'step-end', step, seconds: (performance.now() - started) / 1000 });
  return result;
}
