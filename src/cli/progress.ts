/**
 * A progress line on stderr: a bar on a terminal, a line every few seconds
 * otherwise (CI logs), so long work always shows that it moves.
 */
export class Progress {
  private done = 0;
  private lastPrint = 0;
  /** `done` when last printed: the final line is not printed twice. */
  private printedDone = -1;
  private readonly started = Date.now();
  private readonly tty = Boolean(process.stderr.isTTY);

  constructor(
    private readonly label: string,
    private readonly total?: number,
  ) {}

  tick(n = 1): void {
    this.done += n;
    const now = Date.now();
    if (now - this.lastPrint < (this.tty ? 100 : 5000)) return;
    this.lastPrint = now;
    this.print(false);
  }

  finish(): void {
    if (!this.tty && this.printedDone === this.done) return;
    this.print(true);
  }

  private print(final: boolean): void {
    this.printedDone = this.done;
    const seconds = (Date.now() - this.started) / 1000;
    const rate = seconds > 0 ? Math.round(this.done / seconds) : 0;
    let text = `${this.label}: ${this.done}${this.total ? `/${this.total}` : ''} (${rate}/s, ${seconds.toFixed(1)}s)`;
    if (this.total && this.tty) {
      const width = 30;
      const filled = Math.min(width, Math.round((this.done / this.total) * width));
      text = `${this.label} [${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${this.done}/${this.total} ${rate}/s`;
    }
    if (this.tty) process.stderr.write(`\r${text}${final ? '\n' : ''}`);
    else process.stderr.write(`${text}\n`);
  }
}
