/**
 * Reproduces the admm paper's central claim (issue #7) on Fashion-MNIST: LeNet-5 compressed
 * about 10x over the whole model with TT, at equal total epochs,
 *   (a) "direct": train dense, decompose, fine-tune;
 *   (b) "admm":   train dense, ADMM-regularised rounds, decompose, fine-tune;
 * beside the uncompressed model trained as long ("dense"). The paper claims that (b) keeps
 * far more accuracy at the moment of decomposition, and ends above (a), within about 0.5
 * points of the uncompressed model. Prints a table and writes results/admm.json.
 *
 *   pnpm --filter @lowrank/benchmarks bench:reproduce-admm                   # full protocol
 *   pnpm --filter @lowrank/benchmarks bench:reproduce-admm --parallel --backend webgpu
 *   pnpm --filter @lowrank/benchmarks bench:reproduce-admm --data bundled --epochs-short 4 --schedules short
 *
 * Flags: --epochs-short N (8), --epochs-long N (30), --schedules short,long, --arms
 * dense,direct,admm, --data full|bundled (full), --train-size N (the first N training images),
 * --backend cpu|webgpu, --rho (0.005; a comma list runs one admm arm per value, the paper's
 * Fig. 3 sweep), --ratio (10), --rank-rule equal|budget (equal),
 * --batch-size (64), --lr (0.05), --lr-after (0.01), --seed (0), --parallel (each schedule's
 * pretraining, then each arm, in its own process), --out FILE (results/admm.json), --merge
 * a.json,b.json (write one record of separate runs' schedules to --out), --jobs-dir DIR
 * (record the job results a parallel run left in DIR instead of running). A run that is smaller than the
 * full protocol is marked "reduced" in the JSON, with the reasons.
 */
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { DEFAULT_RHO } from '@lowrank/admm';
import { createEngine } from '@lowrank/core';
import { type FashionMnist, loadFashionMnist } from '@lowrank/fashion-mnist';
import { LeNet5 } from '@lowrank/models';
import { tt } from '@lowrank/tt';
import {
  ARMS,
  type ArmName,
  type ArmResult,
  type Pretrained,
  pretrain,
  runArm,
  type Split,
  splitEpochs,
} from './arms.js';
import { planRanks, type RankPlan } from './ranks.js';
import { openEngine, type Recipe } from './training.js';

const SCHEDULES = ['short', 'long'] as const;
type ScheduleName = (typeof SCHEDULES)[number];
const FULL_TRAIN = 60000;

const CLAIMS = [
  '(b) ADMM keeps far more accuracy than (a) direct decomposition at the moment of decomposition',
  '(b) ends above (a) after fine-tuning, at equal total epochs',
  '(b) ends within about 0.5 points of the uncompressed model',
];

interface Settings {
  epochs: Record<ScheduleName, number>;
  schedules: ScheduleName[];
  arms: ArmName[];
  data: 'full' | 'bundled';
  trainSize: number | null;
  backend: 'cpu' | 'webgpu';
  /** One admm arm per value; the first is the one the verdict uses. */
  rhos: number[];
  ratio: number;
  rankRule: 'equal' | 'budget';
  recipe: Recipe;
  parallel: boolean;
  out: string;
  job: string | null;
  jobOut: string | null;
  /** A child job's shared pretrained model (the file a pretrain job wrote). */
  pretrained: string | null;
  /** Result files of separate runs (one schedule each, say) to merge into `out`. */
  merge: string[];
  /** A directory of finished job results (`--job-out` files) to record instead of running. */
  jobsDir: string | null;
}

function parseSettings(): Settings {
  const { values } = parseArgs({
    options: {
      'epochs-short': { type: 'string', default: '8' },
      'epochs-long': { type: 'string', default: '30' },
      schedules: { type: 'string', default: 'short,long' },
      arms: { type: 'string', default: ARMS.join(',') },
      data: { type: 'string', default: 'full' },
      'train-size': { type: 'string' },
      backend: { type: 'string', default: 'cpu' },
      rho: { type: 'string', default: String(DEFAULT_RHO) },
      ratio: { type: 'string', default: '10' },
      'rank-rule': { type: 'string', default: 'equal' },
      'batch-size': { type: 'string', default: '64' },
      lr: { type: 'string', default: '0.05' },
      'lr-after': { type: 'string', default: '0.01' },
      seed: { type: 'string', default: '0' },
      parallel: { type: 'boolean', default: false },
      out: { type: 'string', default: fileURLToPath(new URL('../results/admm.json', import.meta.url)) },
      job: { type: 'string' },
      'job-out': { type: 'string' },
      pretrained: { type: 'string' },
      merge: { type: 'string' },
      'jobs-dir': { type: 'string' },
    },
  });
  const number = (flag: string, min: number, integer = true) => {
    const v = Number(values[flag as keyof typeof values]);
    if (!(v >= min) || (integer && !Number.isInteger(v))) {
      throw new RangeError(
        `--${flag} must be ${integer ? 'an integer' : 'a number'} >= ${min}, got ${String(values[flag as keyof typeof values])}`,
      );
    }
    return v;
  };
  const list = <T extends string>(flag: 'schedules' | 'arms', allowed: readonly T[]): T[] => {
    const items = String(values[flag]).split(',').filter(Boolean);
    for (const item of items) {
      if (!allowed.includes(item as T))
        throw new RangeError(`--${flag}: unknown '${item}'; use ${allowed.join(', ')}`);
    }
    return items as T[];
  };
  const oneOf = <T extends string>(flag: string, allowed: readonly T[]): T => {
    const v = String(values[flag as keyof typeof values]);
    if (!allowed.includes(v as T))
      throw new RangeError(`--${flag} must be one of ${allowed.join(', ')}, got '${v}'`);
    return v as T;
  };
  return {
    epochs: { short: number('epochs-short', 3), long: number('epochs-long', 3) },
    schedules: list('schedules', SCHEDULES),
    arms: list('arms', ARMS),
    data: oneOf('data', ['full', 'bundled'] as const),
    trainSize: values['train-size'] === undefined ? null : number('train-size', 1),
    backend: oneOf('backend', ['cpu', 'webgpu'] as const),
    rhos: String(values.rho)
      .split(',')
      .map((v) => {
        const rho = Number(v);
        if (!(rho > 0 && Number.isFinite(rho)))
          throw new RangeError(`--rho: '${v}' is not a positive number`);
        return rho;
      }),
    ratio: number('ratio', 1, false),
    rankRule: oneOf('rank-rule', ['equal', 'budget'] as const),
    recipe: {
      batchSize: number('batch-size', 1),
      lr: number('lr', 0, false),
      lrAfter: number('lr-after', 0, false),
      momentum: 0.9,
      weightDecay: 5e-4,
      seed: number('seed', 0),
    },
    parallel: values.parallel ?? false,
    out: String(values.out),
    job: values.job ?? null,
    jobOut: values['job-out'] ?? null,
    pretrained: values.pretrained ?? null,
    merge: values.merge === undefined ? [] : String(values.merge).split(',').filter(Boolean),
    jobsDir: values['jobs-dir'] ?? null,
  };
}

async function loadData(settings: Settings): Promise<{ train: FashionMnist; test: FashionMnist }> {
  const train = await loadFashionMnist({ source: settings.data, split: 'train' });
  const test = await loadFashionMnist({ source: settings.data, split: 'test' });
  const count = Math.min(settings.trainSize ?? train.count, train.count);
  return { train: { ...train, count }, test };
}

/** The ranks depend only on LeNet-5's shapes, so every process computes the same plan. */
async function rankPlan(settings: Settings): Promise<RankPlan> {
  const engine = createEngine();
  const model = new LeNet5(engine);
  const plan = await planRanks(engine, model, tt(), settings.ratio, settings.rankRule);
  model.dispose();
  return plan;
}

interface JobResult extends ArmResult {
  schedule: ScheduleName;
  /** admm arms: the penalty weight. */
  rho?: number;
}

/** One process's work: an arm of a schedule (and the rho of an admm arm). */
interface Job {
  schedule: ScheduleName;
  arm: ArmName;
  rho: number;
}

const jobName = (job: Job) => `${job.schedule}:${job.arm}${job.arm === 'admm' ? `:${job.rho}` : ''}`;

function jobsOf(settings: Settings): Job[] {
  return settings.schedules.flatMap((schedule) =>
    settings.arms.flatMap((arm): Job[] =>
      arm === 'admm'
        ? settings.rhos.map((rho) => ({ schedule, arm, rho }))
        : [{ schedule, arm, rho: settings.rhos[0] }],
    ),
  );
}

async function runJob(settings: Settings, job: Job, pretrained: Pretrained): Promise<JobResult> {
  const { schedule, arm, rho } = job;
  const data = await loadData(settings);
  const plan = await rankPlan(settings);
  const split = splitEpochs(settings.epochs[schedule]);
  const { engine, close } = await openEngine(settings.backend, settings.recipe.seed);
  try {
    const result = await runArm(
      engine,
      arm,
      split,
      plan,
      pretrained,
      data,
      { ...settings.recipe, rho },
      (line) => console.log(`[${jobName(job)}] ${line}`),
    );
    return { schedule, ...result, ...(arm === 'admm' ? { rho } : {}) };
  } finally {
    close();
  }
}

/** The shared dense pretraining of one schedule, in this process. */
async function runPretrain(settings: Settings, schedule: ScheduleName): Promise<Pretrained> {
  const data = await loadData(settings);
  const { engine, close } = await openEngine(settings.backend, settings.recipe.seed);
  try {
    return await pretrain(engine, splitEpochs(settings.epochs[schedule]), data, settings.recipe, (line) =>
      console.log(`[${schedule}:pretrain] ${line}`),
    );
  } finally {
    close();
  }
}

/** A pretrained model as a child job passes it on: the weights beside a JSON of the accuracy. */
function writePretrained(path: string, pretrained: Pretrained): void {
  writeFileSync(`${path}.safetensors`, pretrained.weights);
  writeFileSync(path, JSON.stringify({ accuracy: pretrained.accuracy }));
}

function readPretrained(path: string): Pretrained {
  const { accuracy } = JSON.parse(readFileSync(path, 'utf8')) as { accuracy: number };
  return { weights: new Uint8Array(readFileSync(`${path}.safetensors`)), accuracy };
}

/** Runs this script as a child process with `args` added; resolves when it exits cleanly. */
function runChild(name: string, args: readonly string[]): Promise<void> {
  const own = process.argv.slice(2).filter((a) => a !== '--parallel');
  const child = spawn(
    process.execPath,
    [...process.execArgv, fileURLToPath(import.meta.url), ...own, ...args],
    { stdio: ['ignore', 'inherit', 'inherit'] },
  );
  return new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('exit', (code) => {
      if (code !== 0) reject(new Error(`job ${name} exited with code ${code}`));
      else resolve();
    });
  });
}

/**
 * The parallel run: each schedule's pretraining in its own process, then each arm in its
 * own process from that pretrained model.
 */
async function runParallel(settings: Settings, jobs: readonly Job[]): Promise<JobResult[]> {
  const dir = mkdtempSync(join(tmpdir(), 'reproduce-admm-'));
  try {
    const pretrainedFile = (schedule: ScheduleName) => join(dir, `${schedule}-pretrain.json`);
    await Promise.all(
      settings.schedules.map((schedule) =>
        runChild(`${schedule}:pretrain`, [
          '--job',
          `${schedule}:pretrain`,
          '--job-out',
          pretrainedFile(schedule),
        ]),
      ),
    );
    return await Promise.all(
      jobs.map(async (job) => {
        const out = join(dir, `${jobName(job).replaceAll(':', '-')}.json`);
        await runChild(jobName(job), [
          '--job',
          jobName(job),
          '--job-out',
          out,
          '--pretrained',
          pretrainedFile(job.schedule),
        ]);
        return JSON.parse(readFileSync(out, 'utf8')) as JobResult;
      }),
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * `--jobs-dir`: the results a parallel run's jobs wrote (copied from its temporary directory,
 * say, when the run was stopped before its slowest arm ended, or when arms ran on several
 * machines with `--job`). Every job the flags ask for must be there.
 */
function readJobResults(dir: string, jobs: readonly Job[]): JobResult[] {
  const missing: string[] = [];
  const results = jobs.flatMap((job) => {
    const file = join(dir, `${jobName(job).replaceAll(':', '-')}.json`);
    try {
      return [JSON.parse(readFileSync(file, 'utf8')) as JobResult];
    } catch {
      missing.push(file);
      return [];
    }
  });
  if (missing.length) {
    throw new Error(
      `--jobs-dir: no result for ${missing.join(', ')}; ask only for the arms that ran (--schedules, --arms, --rho)`,
    );
  }
  return results;
}

/** The sequential run: each schedule pretrained once, in this process, then its arms. */
async function runSequential(settings: Settings, jobs: readonly Job[]): Promise<JobResult[]> {
  const results: JobResult[] = [];
  for (const schedule of settings.schedules) {
    const pretrained = await runPretrain(settings, schedule);
    for (const job of jobs.filter((j) => j.schedule === schedule))
      results.push(await runJob(settings, job, pretrained));
  }
  return results;
}

function reducedReasons(
  settings: Pick<Settings, 'data' | 'schedules' | 'epochs' | 'arms'>,
  trainCount: number,
): string[] {
  const reasons: string[] = [];
  if (settings.data !== 'full')
    reasons.push(`data '${settings.data}' (the bundled subset), not the full set`);
  if (trainCount < FULL_TRAIN) reasons.push(`${trainCount} training images, not ${FULL_TRAIN}`);
  if (!settings.schedules.includes('short') || settings.epochs.short < 8)
    reasons.push(
      `short schedule ${settings.schedules.includes('short') ? `${settings.epochs.short} epochs, not 8` : 'not run'}`,
    );
  if (!settings.schedules.includes('long') || settings.epochs.long < 30)
    reasons.push(
      `long schedule ${settings.schedules.includes('long') ? `${settings.epochs.long} epochs, not 30+` : 'not run'}`,
    );
  const missing = ARMS.filter((a) => !settings.arms.includes(a));
  if (missing.length) reasons.push(`arms not run: ${missing.join(', ')}`);
  return reasons;
}

const pct = (x: number | undefined) => (x === undefined ? '' : (100 * x).toFixed(2));

async function main(): Promise<void> {
  const settings = parseSettings();
  if (settings.merge.length > 0) {
    mergeRecords(settings.merge, settings.out);
    return;
  }
  if (settings.job) {
    const [schedule, arm, rho] = settings.job.split(':') as [ScheduleName, ArmName | 'pretrain', string?];
    const out = String(settings.jobOut);
    if (arm === 'pretrain') {
      writePretrained(out, await runPretrain(settings, schedule));
      return;
    }
    if (!settings.pretrained) throw new Error(`job ${settings.job}: --pretrained is missing`);
    const job = { schedule, arm, rho: rho === undefined ? settings.rhos[0] : Number(rho) };
    writeFileSync(out, JSON.stringify(await runJob(settings, job, readPretrained(settings.pretrained))));
    return;
  }
  const plan = await rankPlan(settings);
  const data = await loadData(settings);
  console.log(
    `LeNet-5, TT ranks (${plan.rule}${plan.sharedRank ? ` r = ${plan.sharedRank}` : ''}): ${plan.layers.map((l) => `${l.name} ${l.ranks ? `[${l.ranks}]` : 'dense'}`).join(', ')}; params ${plan.params.before} -> ${plan.params.after} (${plan.ratio.toFixed(2)}x)`,
  );
  console.log(
    `${data.train.count} training / ${data.test.count} test images (${settings.data}), backend ${settings.backend}, rho ${settings.rhos.join(', ')}`,
  );
  const jobs = jobsOf(settings);
  const results = settings.jobsDir
    ? readJobResults(settings.jobsDir, jobs)
    : settings.parallel
      ? await runParallel(settings, jobs)
      : await runSequential(settings, jobs);

  const schedules = settings.schedules.map((name) => {
    const split: Split = splitEpochs(settings.epochs[name]);
    const of = (a: ArmName) => results.filter((r) => r.schedule === name && r.arm === a);
    const [dense, direct, admm] = [of('dense')[0], of('direct')[0], of('admm')];
    const verdicts = direct
      ? admm.map((b) => ({
          rho: b.rho,
          admmKeepsMoreAtDecomposition:
            (b.accuracyAtDecomposition ?? 0) > (direct.accuracyAtDecomposition ?? 0),
          admmEndsAboveDirect: b.finalAccuracy > direct.finalAccuracy,
          admmWithinHalfPointOfDense: dense ? b.finalAccuracy >= dense.finalAccuracy - 0.005 : null,
        }))
      : [];
    return { name, split, arms: { dense, direct, admm }, verdicts };
  });

  console.table(
    schedules.flatMap((s) =>
      [s.arms.dense, s.arms.direct, ...s.arms.admm]
        .filter((r) => r !== undefined)
        .map((r) => ({
          schedule: `${s.name} (${s.split.total} ep)`,
          arm: r.arm === 'admm' ? `admm rho ${r.rho}` : r.arm,
          'epochs (dense+admm+ft)':
            r.arm === 'admm'
              ? `${s.split.pretrain}+${s.split.admm}+${s.split.finetune}`
              : `${s.split.pretrain}+0+${s.split.total - s.split.pretrain}`,
          'pretrained %': pct(r.pretrainAccuracy),
          'before decomp %': pct(r.accuracyBeforeDecomposition),
          'at decomp %': pct(r.accuracyAtDecomposition),
          'final %': pct(r.finalAccuracy),
          seconds: Math.round(r.seconds),
        })),
    ),
  );
  for (const s of schedules) {
    for (const b of s.arms.admm) {
      if (!b.rounds?.length) continue;
      console.log(
        `${s.name}, admm rho ${b.rho}: sum ‖W - Z‖^2 ${b.initialResidual?.toExponential(3)} at the start`,
      );
      console.table(
        b.rounds.map((r) => ({
          round: r.round,
          loss: r.loss.toFixed(4),
          penalty: r.penalty.toExponential(3),
          'sum ‖W - Z‖^2': r.residual.toExponential(3),
          ...Object.fromEntries(r.layers.map((l) => [l.name, l.residual.toExponential(2)])),
          'accuracy %': pct(r.accuracy),
        })),
      );
    }
    for (const v of s.verdicts) console.log(`${s.name}: ${JSON.stringify(v)}`);
  }

  const reasons = reducedReasons(settings, data.train.count);
  const record = {
    benchmark: 'reproduce-admm',
    reduced: reasons.length > 0,
    reducedReasons: reasons,
    claims: CLAIMS,
    settings: {
      model: 'LeNet-5',
      decomposition: 'tt (three-core conv, 3-core TT-matrix linear)',
      data: settings.data,
      trainSize: data.train.count,
      testSize: data.test.count,
      backend: settings.backend,
      rho: settings.rhos,
      epochs: Object.fromEntries(settings.schedules.map((s) => [s, settings.epochs[s]])),
      recipe: settings.recipe,
      parallel: settings.parallel,
      targetRatio: settings.ratio,
      ranks: {
        rule: plan.rule,
        sharedRank: plan.sharedRank ?? null,
        layers: plan.layers.map((l) => ({
          name: l.name,
          ranks: l.ranks ?? 'dense',
          params: l.cost.params,
          denseParams: l.dense.params,
        })),
      },
      params: plan.params,
      compressionRatio: plan.ratio,
      flops: plan.flops,
    },
    schedules,
    date: new Date().toISOString(),
  };
  writeRecord(settings.out, record);
}

/** Writes a result record atomically (a temporary file renamed over) and says where. */
function writeRecord(out: string, record: { reduced: boolean; reducedReasons: string[] }): void {
  mkdirSync(dirname(out), { recursive: true });
  const tmp = `${out}.${process.pid}.tmp`;
  writeFileSync(tmp, `${JSON.stringify(record, null, 2)}\n`);
  renameSync(tmp, out);
  console.log(`wrote ${out}${record.reduced ? ` (reduced: ${record.reducedReasons.join('; ')})` : ''}`);
}

type ResultRecord = {
  reduced: boolean;
  reducedReasons: string[];
  settings: Record<string, unknown> & {
    data: 'full' | 'bundled';
    trainSize: number;
    epochs: Record<string, number>;
  };
  schedules: { name: ScheduleName; arms: Record<string, unknown> }[];
};

/**
 * `--merge a.json,b.json`: one record from runs made separately (the short and the long
 * schedule on different machines or days). Their settings must agree apart from the
 * schedules; the reduced reasons are those of the merged protocol.
 */
function mergeRecords(files: readonly string[], out: string): void {
  const records = files.map((f) => JSON.parse(readFileSync(f, 'utf8')) as ResultRecord);
  const comparable = (r: ResultRecord) => JSON.stringify({ ...r.settings, epochs: null, parallel: null });
  for (const [i, r] of records.entries()) {
    if (comparable(r) !== comparable(records[0]))
      throw new Error(`--merge: ${files[i]} was run with other settings than ${files[0]}`);
  }
  const schedules = records.flatMap((r) => r.schedules);
  const names = schedules.map((s) => s.name);
  if (new Set(names).size !== names.length)
    throw new Error(`--merge: a schedule appears twice (${names.join(', ')})`);
  const epochs = Object.assign({}, ...records.map((r) => r.settings.epochs)) as Partial<
    Record<ScheduleName, number>
  >;
  const arms = ARMS.filter((a) => schedules.every((s) => s.arms[a] !== undefined));
  const reasons = reducedReasons(
    {
      data: records[0].settings.data,
      schedules: names,
      epochs: { short: epochs.short ?? 0, long: epochs.long ?? 0 },
      arms,
    },
    records[0].settings.trainSize,
  );
  writeRecord(out, {
    ...records[0],
    reduced: reasons.length > 0,
    reducedReasons: reasons,
    settings: { ...records[0].settings, epochs },
    schedules,
    mergedFrom: files,
  } as ResultRecord);
}

await main();
