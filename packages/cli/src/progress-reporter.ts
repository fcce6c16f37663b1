import type { ProgressEvent, Step } from '@lowrank/compress';
import type { CliIo } from './cli-io.js';

export interface ProgressSettings {
  /** Draw a bar rewritten in place (stderr is a terminal) or log one line per event. */
  tty: boolean;
  /** Say nothing. */
  quiet: boolean;
}

const BAR_WIDTH = 24;

/**
 * Turns compress's progress events into output on stderr: on a terminal, one bar per
 * step (batches, layers, epochs) redrawn in place and kept as a summary line when the
 * step ends; elsewhere (pipes, CI logs), plain lines for each step, layer and epoch.
 */
export class ProgressReporter {
  private barShown = false;
  /** Batches each step runs (per epoch for fine-tuning), for the bar's length. */
  private batches: Partial<Record<Step, number>> = {};

  constructor(
    private readonly io: CliIo,
    private readonly settings: ProgressSettings,
  ) {}

  /** How many batches the steps will run, once the data is known. */
  expectBatches(batches: Partial<Record<Step, number>>): void {
    this.batches = { ...batches };
  }

  /** Clears a bar left on the terminal (before results go to stdout). */
  finish(): void {
    this.clearBar();
  }

  /** `done` of `total` batches of a piece of work outside compress's steps (a bar on a terminal only). */
  batch(label: string, done: number, total?: number): void {
    if (this.settings.quiet || !this.settings.tty) return;
    this.drawBar(label, done, total, 'batches');
  }

  /** A line of its own (between bars). */
  log(line: string): void {
    if (this.settings.quiet) return;
    this.clearBar();
    this.io.stderr(`${line}\n`);
  }

  readonly onProgress = (event: ProgressEvent): void => {
    if (this.settings.quiet) return;
    if (this.settings.tty) this.drawEvent(event);
    else this.logEvent(event);
  };

  private drawEvent(e: ProgressEvent): void {
    switch (e.type) {
      case 'step-start':
        this.drawBar(e.step, 0, this.batches[e.step], '');
        break;
      case 'batch': {
        const loss = e.loss === undefined ? '' : ` loss ${e.loss.toFixed(4)}`;
        const epoch = e.epoch === undefined ? '' : ` epoch ${e.epoch}`;
        this.drawBar(e.step, e.batch, this.batches[e.step], `batches${epoch}${loss}`);
        break;
      }
      case 'layer':
        this.drawBar(e.step, e.index + 1, e.count, `layers (${e.layer})`);
        break;
      case 'epoch':
        this.log(epochLine(e));
        break;
      case 'warning':
        this.log(`warning: ${e.message}`);
        break;
      case 'step-end':
        this.log(`${e.step}: done in ${seconds(e.seconds)}`);
        break;
    }
  }

  private logEvent(e: ProgressEvent): void {
    switch (e.type) {
      case 'layer':
        this.log(`${e.step}: ${e.layer} (${e.index + 1}/${e.count}) in ${seconds(e.seconds)}`);
        break;
      case 'epoch':
        this.log(epochLine(e));
        break;
      case 'warning':
        this.log(`warning: ${e.message}`);
        break;
      case 'step-end':
        this.log(`${e.step}: done in ${seconds(e.seconds)}`);
        break;
      default:
        // Step starts and batches would flood a log; each step's end line says it ran.
        break;
    }
  }

  private drawBar(label: string, done: number, total: number | undefined, unit: string): void {
    const count = total === undefined ? `${done}` : `${done}/${total}`;
    const filled = total ? Math.min(BAR_WIDTH, Math.round((BAR_WIDTH * done) / total)) : 0;
    const bar = total ? `[${'#'.repeat(filled)}${'.'.repeat(BAR_WIDTH - filled)}] ` : '';
    this.io.stderr(`\r\x1b[K${label} ${bar}${count} ${unit}`.trimEnd());
    this.barShown = true;
  }

  private clearBar(): void {
    if (!this.barShown) return;
    this.io.stderr('\r\x1b[K');
    this.barShown = false;
  }
}

function epochLine(e: Extract<ProgressEvent, { type: 'epoch' }>): string {
  const accuracy = e.accuracy === undefined ? '' : `, accuracy ${(100 * e.accuracy).toFixed(2)}%`;
  return `${e.step}: epoch ${e.epoch}/${e.epochs}, loss ${e.loss.toFixed(4)}${accuracy}`;
}

function seconds(s: number): string {
  return `${s.toFixed(s < 10 ? 2 : 1)} s`;
}
