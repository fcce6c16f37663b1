import type { ProgressEvent } from '@lowrank/compress';
import { describe, expect, it } from 'vitest';
import { ProgressReporter } from '../src/progress-reporter.js';
import { recordingIo } from './helpers.js';

const EVENTS: ProgressEvent[] = [
  { type: 'step-start', step: 'calibrate' },
  { type: 'batch', step: 'calibrate', batch: 1 },
  { type: 'batch', step: 'calibrate', batch: 2 },
  { type: 'step-end', step: 'calibrate', seconds: 1.5 },
  { type: 'step-start', step: 'decompose' },
  { type: 'layer', step: 'decompose', layer: 'conv2', index: 0, count: 2, seconds: 0.25 },
  { type: 'layer', step: 'decompose', layer: 'fc1', index: 1, count: 2, seconds: 12.5 },
  { type: 'step-end', step: 'decompose', seconds: 12.75 },
  { type: 'batch', step: 'fine-tune', batch: 1, epoch: 1, loss: 0.5 },
  { type: 'epoch', step: 'fine-tune', epoch: 1, epochs: 2, loss: 0.25, accuracy: 0.875 },
];

function replay(tty: boolean, quiet = false) {
  const io = recordingIo(tty);
  const progress = new ProgressReporter(io, { tty, quiet });
  progress.expectBatches({ calibrate: 4, 'fine-tune': 8 });
  for (const e of EVENTS) progress.onProgress(e);
  progress.finish();
  return io.err.join('');
}

describe('ProgressReporter', () => {
  it('on a terminal: bars redrawn in place with counts out of the expected batches, then a line per finished step', () => {
    const out = replay(true);
    expect(out).toContain('\r\x1b[Kcalibrate [############............] 2/4 batches');
    expect(out).toContain('\r\x1b[Kdecompose [########################] 2/2 layers (fc1)');
    expect(out).toContain('\r\x1b[Kfine-tune [###.....................] 1/8 batches epoch 1 loss 0.5000');
    expect(out).toContain('calibrate: done in 1.50 s\n');
    expect(out).toContain('fine-tune: epoch 1/2, loss 0.2500, accuracy 87.50%\n');
    // The bar is cleared before each line: what follows the last clear is whole lines.
    expect(out.slice(out.lastIndexOf('\r\x1b[K') + 4)).toBe(
      'fine-tune: epoch 1/2, loss 0.2500, accuracy 87.50%\n',
    );
  });

  it('finish() clears a bar left on the terminal', () => {
    const io = recordingIo(true);
    const progress = new ProgressReporter(io, { tty: true, quiet: false });
    progress.batch('evaluate', 1, 2);
    progress.finish();
    expect(io.err).toEqual(['\r\x1b[Kevaluate [############............] 1/2 batches', '\r\x1b[K']);
  });

  it('elsewhere: plain lines per step, layer and epoch, no batches and no control characters', () => {
    expect(replay(false).split('\n')).toEqual([
      'calibrate: done in 1.50 s',
      'decompose: conv2 (1/2) in 0.25 s',
      'decompose: fc1 (2/2) in 12.5 s',
      'decompose: done in 12.8 s',
      'fine-tune: epoch 1/2, loss 0.2500, accuracy 87.50%',
      '',
    ]);
  });

  it('quiet: nothing at all', () => {
    expect(replay(true, true)).toBe('');
    expect(replay(false, true)).toBe('');
  });
});
