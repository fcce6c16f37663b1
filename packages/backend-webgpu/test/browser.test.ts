/**
 * lowrank in a browser: bundles test/browser/page.ts with esbuild, opens it in headless
 * Chromium (WebGPU on SwiftShader without a GPU) and checks what the page measured there.
 * Needs Debian's chromium (scripts/setup.sh); fails, rather than skips, without it.
 */
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { bundle, checkChromium, runInChromium } from './browser/chromium.js';
import type { BrowserFailure, BrowserReport, ParityCase } from './browser/report.js';

const PAGE = fileURLToPath(new URL('./browser/page.ts', import.meta.url));
const RTOL = 1e-4;
const ATOL = 1e-5;

/** The largest |webgpu - cpu| / (ATOL / RTOL + |cpu|): at most RTOL means every element passes. */
function worstRelative(c: ParityCase): number {
  let worst = 0;
  for (let i = 0; i < c.cpu.length; i++)
    worst = Math.max(worst, Math.abs(c.webgpu[i] - c.cpu[i]) / (ATOL / RTOL + Math.abs(c.cpu[i])));
  return worst;
}

/** Bundles the page, runs it in Chromium and returns its report, or throws what went wrong. */
async function runPage(): Promise<BrowserReport> {
  checkChromium();
  // SwiftShader compiles each pipeline on the CPU: about 20 s alone, several times that beside
  // CI's other test tasks on 2 cores. A page that stops reporting steps fails sooner.
  const timeouts = { loadMs: 60_000, stallMs: 120_000, totalMs: 420_000 };
  const result = (await runInChromium(await bundle(PAGE), timeouts)) as BrowserReport | BrowserFailure;
  if ('error' in result) throw new Error(`the page failed in Chromium: ${result.error}`);
  const sections = Object.entries(result.milliseconds).map(([name, ms]) => `${name} ${ms.toFixed(0)}`);
  console.log(
    `${result.userAgent}\nadapter: ${result.adapter}; the page's milliseconds: ${sections.join(', ')}`,
  );
  return result;
}

describe('lowrank in headless Chromium on WebGPU', () => {
  // The page runs once; every test awaits it, so that a missing Chromium fails each test
  // with its message instead of vitest marking them skipped after a failed hook.
  let page: Promise<BrowserReport>;
  beforeAll(async () => {
    page = runPage();
    await page.catch(() => {});
  }, 560_000);

  it('navigator.gpu gives the backend an adapter and a device', async () => {
    const report = await page;
    expect(report.userAgent).toMatch(/Chrome\//);
    expect(report.adapter.length).toBeGreaterThan(0);
    expect(report.adapter).not.toBe('unknown adapter');
    expect(report.backend).toBe('webgpu');
  });

  it('matmul, conv2d and their gradients agree with the CPU within rtol 1e-4 (atol 1e-5)', async () => {
    const report = await page;
    expect(report.parity.map((c) => c.name)).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^matmul.*grad b$/),
        expect.stringMatching(/^conv2d.*grad w$/),
      ]),
    );
    for (const c of report.parity) {
      expect(c.webgpu.length, c.name).toBe(c.shape.reduce((p, d) => p * d, 1));
      expect(c.cpu.length, c.name).toBe(c.webgpu.length);
      expect(
        c.cpu.some((v) => v !== 0),
        `${c.name} is not all zeros`,
      ).toBe(true);
      const worst = worstRelative(c);
      console.log(`${c.name}: worst relative difference ${worst.toExponential(2)}`);
      expect(worst, c.name).toBeLessThanOrEqual(RTOL);
    }
  });

  it('SGD steps of a small conv net give the same losses within 1e-4 relative, and the loss falls', async () => {
    const { cpu, webgpu } = (await page).losses;
    console.log(`losses cpu ${cpu.join(', ')}\nlosses webgpu ${webgpu.join(', ')}`);
    expect(webgpu.length).toBe(cpu.length);
    expect(cpu.length).toBeGreaterThan(2);
    for (let i = 0; i < cpu.length; i++)
      expect(Math.abs(webgpu[i] - cpu[i]), `step ${i}`).toBeLessThanOrEqual(RTOL * (1 + Math.abs(cpu[i])));
    expect(cpu[cpu.length - 1]).toBeLessThan(cpu[0]);
  });

  it('svd decomposes a linear and a conv layer in the page with the Eckart-Young error (within 1e-5)', async () => {
    const report = await page;
    expect(report.decompositions.map((d) => d.backend).sort()).toEqual(['cpu', 'webgpu']);
    for (const d of report.decompositions) {
      expect(d.factorsBackend, d.layer).toBe(d.backend);
      console.log(
        `${d.layer} on ${d.backend}, rank ${d.rank}: relative error ${d.relativeError.toFixed(6)}, ` +
          `Eckart-Young ${d.eckartYoung.toFixed(6)}, params ${d.paramsBefore} -> ${d.paramsAfter}`,
      );
      expect(d.eckartYoung, d.layer).toBeGreaterThan(0);
      expect(Math.abs(d.relativeError - d.eckartYoung), d.layer).toBeLessThanOrEqual(1e-5);
      expect(d.paramsAfter, d.layer).toBeLessThan(d.paramsBefore);
    }
  });
});
