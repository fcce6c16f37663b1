/**
 * A one-line progress bar on stderr. On a terminal it redraws in place; elsewhere
 * (CI logs, pipes) it prints a line every 10% so that logs stay short.
 */
export class ProgressBar {
  private readonly start = Date.now();
  private lastDecile = -1;
  private readonly tty = process.stderr.isTTY === true;

  constructor(
    private readonly label: string,
    private readonly total: number,
  ) {}

  update(done: number, suffix = ''): void {
    const frac = this.total > 0 ? Math.min(done / this.total, 1) : 1;
    const elapsed = (Date.now() - this.start) / 1000;
    const eta = frac > 0 ? elapsed * (1 / frac - 1) : 0;
    const width = 30;
    const filled = Math.round(frac * width);
    const line = `${this.label} [${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${done}/${this.total} ${elapsed.toFixed(0)}s eta ${eta.toFixed(0)}s ${suffix}`;
    if (this.tty) {
      process.stderr.write(`\r${line}\x1b[K`);
    } else {
      const decile = Math.floor(frac * 10);
      if (decile !== this.lastDecile) {
        this.lastDecile = decile;
        process.stderr.write(`${line}\n`);
      }
    }
  }

  finish(): void {
    if (this.tty) process.stderr.write('\n');
  }
}
