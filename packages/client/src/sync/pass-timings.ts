/**
 * Where a pass spends its time, phase by phase, on stderr when the
 * environment has `DAVSYNC_TIMINGS=1` — how the no-change pass was
 * profiled (docs/performance.md), kept so the next regression is found
 * the same way. Off, it costs one environment lookup per pass.
 */
export class PassTimings {
  private last = process.hrtime.bigint();
  private readonly phases: string[] = [];

  constructor(private readonly enabled = process.env['DAVSYNC_TIMINGS'] === '1') {}

  /** Ends the phase called `name` (started at the previous mark). */
  mark(name: string): void {
    if (!this.enabled) return;
    const now = process.hrtime.bigint();
    this.phases.push(`${name} ${(Number(now - this.last) / 1e6).toFixed(1)} ms`);
    this.last = now;
  }

  report(): void {
    if (this.enabled && this.phases.length > 0) process.stderr.write(`davsync: pass timings: ${this.phases.join(', ')}\n`);
  }
}
