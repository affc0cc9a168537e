/**
 * Phase reporting for the CLIs, on stderr so stdout stays the result: one updating line on a
 * terminal, one plain line per finished phase otherwise (CI logs).
 */
export interface ProgressStream {
  write(text: string): unknown;
  isTTY?: boolean;
}

export class Progress {
  private readonly started = Date.now();
  private phaseStart = Date.now();
  private open = false;

  constructor(
    private readonly tool: string,
    private readonly stream: ProgressStream = process.stderr,
    private readonly enabled = true,
  ) {}

  /** Announces a phase that is starting (shown only on a terminal, where it is replaced). */
  start(what: string): void {
    this.phaseStart = Date.now();
    if (!this.enabled || !this.stream.isTTY) return;
    this.stream.write(`\r\x1b[2K${this.tool}: ${what}...`);
    this.open = true;
  }

  /** Reports a finished phase with its duration. */
  done(what: string): void {
    if (!this.enabled) return;
    const line = `${this.tool}: ${what} (${((Date.now() - this.phaseStart) / 1000).toFixed(1)} s)`;
    if (this.stream.isTTY) {
      this.stream.write(`\r\x1b[2K${line}`);
      this.open = true;
    } else this.stream.write(`${line}\n`);
  }

  /** Ends the updating line (before other output, and at the end). */
  end(): void {
    if (this.open) this.stream.write("\n");
    this.open = false;
  }

  /** Seconds since the tool started. */
  elapsed(): string {
    return `${((Date.now() - this.started) / 1000).toFixed(1)} s`;
  }
}
