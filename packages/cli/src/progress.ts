import type { OperationStatus } from '@berth/sdk';

const FRAMES = ['⠋', '⠙', '⠹', '⠸', '⠼', '⠴', '⠦', '⠧', '⠇', '⠏'];

/**
 * Shows a long-running operation's progress on stderr: a spinner line on a
 * terminal, plain lines otherwise (one per state change and every 10 s).
 */
export class Progress {
  private frame = 0;
  private lastState = '';
  private lastLine = 0;
  private readonly tty = Boolean(process.stderr.isTTY);

  constructor(private readonly what: string) {}

  update(status: OperationStatus | { status: string }, elapsedMs: number): void {
    const seconds = Math.round(elapsedMs / 1000);
    const text = `${this.what}: ${status.status} (${seconds}s)`;
    if (this.tty) {
      process.stderr.write(`\r\x1b[2K${FRAMES[this.frame++ % FRAMES.length]} ${text}`);
      return;
    }
    if (status.status !== this.lastState || Date.now() - this.lastLine >= 10_000) {
      process.stderr.write(`${text}\n`);
      this.lastState = status.status;
      this.lastLine = Date.now();
    }
  }

  done(state: string, elapsedMs: number): void {
    const text = `${this.what}: ${state} (${Math.round(elapsedMs / 1000)}s)`;
    process.stderr.write(this.tty ? `\r\x1b[2K${text}\n` : state !== this.lastState ? `${text}\n` : '');
  }
}
