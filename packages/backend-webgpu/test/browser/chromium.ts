/**
 * Runs a bundled page in headless Chromium with WebGPU and returns what the page POSTs to
 * /report. Chromium's own WebGPU stack (Dawn on SwiftShader's Vulkan when there is no GPU)
 * gives navigator.gpu an adapter on a machine without a GPU.
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { build } from 'esbuild';

/** LOWRANK_CHROMIUM overrides the executable (turbo passes LOWRANK_* through). */
const EXECUTABLE = process.env.LOWRANK_CHROMIUM ?? 'chromium';

const FLAGS = [
  '--headless=new',
  // WebGPU is off by default on Linux; without this navigator.gpu.requestAdapter() gives null.
  '--enable-unsafe-webgpu',
  // The sandbox needs user namespaces, which CI containers (and root) lack; the page is our own.
  '--no-sandbox',
  // /dev/shm is small in many containers; Chromium then keeps its shared memory in /tmp.
  '--disable-dev-shm-usage',
  '--no-first-run',
  '--no-default-browser-check',
  '--disable-extensions',
  // A closed network (CI's) refuses or stalls Chromium's own connections; make none.
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--disable-quic',
];

/** Chromium's complaints about the missing session bus: noise in a container, dropped from errors. */
const DBUS_NOISE = /dbus|org\.freedesktop/;

/**
 * The page: reports uncaught errors (a script that does not even load, too), then runs the bundle.
 * The bundle POSTs each step it starts to /progress, which is how a slow page is told from a stuck one.
 */
const PAGE_HTML = `<!doctype html><meta charset="utf-8"><script>
const fail = (error) => fetch('/report', { method: 'POST', body: JSON.stringify({ error: String(error) }) });
addEventListener('error', (e) => fail(e.error?.stack ?? e.message));
addEventListener('unhandledrejection', (e) => fail(e.reason?.stack ?? e.reason));
</script><script type="module" src="/page.js"></script>`;

/** Fails with what to do when Chromium cannot be started at all. */
export function checkChromium(): void {
  const probe = spawnSync(EXECUTABLE, ['--version'], { encoding: 'utf8' });
  if (probe.error || probe.status !== 0) {
    throw new Error(
      `Chromium (${EXECUTABLE}) cannot be run (${probe.error?.message ?? probe.stderr.trim()}). ` +
        "Run scripts/setup.sh, which installs Debian's chromium package, or set LOWRANK_CHROMIUM to a Chromium executable.",
    );
  }
}

/**
 * Bundles `entry` (TypeScript, with its workspace imports) into one ES module for the browser.
 * A warning fails too: it is how a Node-only import would first show.
 */
export async function bundle(entry: string): Promise<string> {
  const result = await build({
    entryPoints: [entry],
    bundle: true,
    format: 'esm',
    platform: 'browser',
    target: 'es2022',
    write: false,
    sourcemap: 'inline',
    logLevel: 'silent',
  });
  if (result.warnings.length)
    throw new Error(
      `esbuild warns about the page's bundle: ${result.warnings.map((w) => w.text).join('; ')}`,
    );
  return result.outputFiles[0].text;
}

function listen(server: Server): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve((server.address() as AddressInfo).port));
  });
}

/** Kills the whole process group (Chromium's GPU, renderer and zygote processes too) and waits. */
async function kill(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null || child.pid === undefined) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  try {
    process.kill(-child.pid, 'SIGKILL');
  } catch {
    child.kill('SIGKILL');
  }
  await exited;
}

/** How long the page may take to load, to go without reporting a step, and in all. */
export interface PageTimeouts {
  /** From Chromium's start to its request for the script; past it Chromium is started once more. */
  loadMs: number;
  stallMs: number;
  totalMs: number;
}

/** Why one launch of Chromium ended without a report. */
class LaunchFailure extends Error {
  constructor(
    message: string,
    readonly loaded: boolean,
  ) {
    super(message);
  }
}

/**
 * Serves `script` from a page on 127.0.0.1 (a random port), opens it in headless Chromium and
 * resolves with the parsed JSON the page POSTs to /report. Fails when the page goes `stallMs`
 * without a request (each step it POSTs to /progress counts) or runs past `totalMs`, with the
 * steps it reached. A Chromium that never requests the script (a start-up stall, outside our
 * code) is killed and started once more. Chromium is killed in every case.
 */
export async function runInChromium(script: string, timeouts: PageTimeouts): Promise<unknown> {
  const started = performance.now();
  const steps: string[] = [];
  let lastStep = started;
  let loaded = false;
  const step = (what: string) => {
    lastStep = performance.now();
    steps.push(`${((lastStep - started) / 1000).toFixed(1)} s ${what}`);
  };
  let deliver: (body: string) => void = () => {};
  const delivered = new Promise<string>((resolve) => {
    deliver = resolve;
  });
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      if (req.method === 'POST' && req.url === '/report') {
        res.end();
        step('report');
        deliver(body);
      } else if (req.method === 'POST' && req.url === '/progress') {
        res.end();
        step(body);
      } else if (req.url === '/') {
        step('page requested');
        res.setHeader('content-type', 'text/html');
        res.end(PAGE_HTML);
      } else if (req.url === '/page.js') {
        loaded = true;
        step('script requested');
        res.setHeader('content-type', 'text/javascript');
        res.end(script);
      } else {
        res.statusCode = 404;
        res.end();
      }
    });
  });

  /** One Chromium: resolves with the report or rejects with a LaunchFailure; always killed. */
  const launch = async (port: number): Promise<string> => {
    const profile = mkdtempSync(join(tmpdir(), 'lowrank-chromium-'));
    const launchedAt = performance.now();
    const child = spawn(EXECUTABLE, [...FLAGS, `--user-data-dir=${profile}`, `http://127.0.0.1:${port}/`], {
      stdio: ['ignore', 'ignore', 'pipe'],
      detached: true, // its own process group, so that kill() reaches Chromium's children
    });
    step('Chromium started');
    let stderr = '';
    child.stderr?.on('data', (d: Buffer) => {
      const lines = d
        .toString('utf8')
        .split('\n')
        .filter((line) => line.trim() && !DBUS_NOISE.test(line));
      if (lines.length) stderr = `${stderr}${lines.join('\n')}\n`.slice(-4000);
    });
    const fail = (what: string) =>
      new LaunchFailure(
        `${what}; the page's steps:\n  ${steps.join('\n  ')}\nChromium's stderr (D-Bus lines left out):\n${stderr}`,
        loaded,
      );
    let timer: NodeJS.Timeout | undefined;
    const failed = new Promise<never>((_, reject) => {
      child.once('error', (e) => reject(fail(`Chromium could not start: ${e.message}`)));
      child.once('exit', (code, signal) =>
        reject(fail(`Chromium exited (${signal ?? code}) before the page reported`)),
      );
      timer = setInterval(() => {
        const now = performance.now();
        if (!loaded && now - launchedAt > timeouts.loadMs)
          reject(fail(`Chromium did not request the page's script within ${timeouts.loadMs} ms`));
        else if (now - lastStep > timeouts.stallMs)
          reject(fail(`the page reported no step for ${timeouts.stallMs} ms`));
        else if (now - started > timeouts.totalMs)
          reject(fail(`the page did not finish within ${timeouts.totalMs} ms`));
      }, 1000);
    });
    failed.catch(() => {}); // after the report, killing Chromium rejects it unobserved
    try {
      return await Promise.race([delivered, failed]);
    } finally {
      clearInterval(timer);
      await kill(child);
      rmSync(profile, { recursive: true, force: true });
    }
  };

  try {
    const port = await listen(server);
    try {
      return JSON.parse(await launch(port));
    } catch (e) {
      if (!(e instanceof LaunchFailure) || e.loaded) throw e;
      console.warn(`${e.message}\nstarting Chromium once more`);
      return JSON.parse(await launch(port));
    }
  } finally {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  }
}
