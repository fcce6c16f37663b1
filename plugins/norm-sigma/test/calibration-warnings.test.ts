import { createEngine, layerInfo, nn } from '@lowrank/core';
import { describe, expect, it } from 'vitest';
import { SigmaStatistics, sigma } from '../src/index.js';

const engine = createEngine();
const norm = sigma();
const centredNorm = sigma({ centred: true });

function linearStats(rows: number): { info: ReturnType<typeof layerInfo>; stats: SigmaStatistics } {
  const info = layerInfo('fc1', new nn.Linear(engine, 6, 3));
  const stats = new SigmaStatistics(info);
  stats.addData(
    Float64Array.from({ length: rows * 6 }, (_, i) => Math.sin(i + 1)),
    [rows, 6],
  );
  return { info, stats };
}

describe('Sigma calibration warnings', () => {
  it('warn, naming the layer and the count needed, exactly when fewer vectors than dimensions make Sigma singular', () => {
    const thin = linearStats(5);
    const [warning, ...rest] = norm.diagnose?.(thin.info, thin.stats) ?? [];
    expect(rest).toEqual([]);
    expect(warning).toContain("'fc1'");
    expect(warning).toContain('5 input rows for 6 input dimensions');
    expect(warning).toContain('at least 6 input rows');
    const enough = linearStats(6);
    expect(norm.diagnose?.(enough.info, enough.stats)).toEqual([]);
  });

  it('the centred covariance loses one rank to the mean, so it needs one vector more', () => {
    const six = linearStats(6);
    expect(centredNorm.diagnose?.(six.info, six.stats)).toHaveLength(1);
    const seven = linearStats(7);
    expect(centredNorm.diagnose?.(seven.info, seven.stats)).toEqual([]);
  });

  it('a conv layer with a known input size is told how many samples give enough patches', () => {
    // 2 x 3 x 3 kernel on 4 x 4 inputs, no padding: P = 18, 4 patches per sample.
    const info = layerInfo('conv2', new nn.Conv2d(engine, 2, 4, 3), [4, 4]);
    const stats = new SigmaStatistics(info);
    stats.addData(
      Float64Array.from({ length: 2 * 2 * 16 }, (_, i) => Math.cos(i)),
      [2, 2, 4, 4],
    );
    expect(stats.count).toBe(8);
    const [warning] = norm.diagnose?.(info, stats) ?? [];
    expect(warning).toContain('8 input patches for 18 input dimensions');
    expect(warning).toContain('(5 samples)');
  });
});
