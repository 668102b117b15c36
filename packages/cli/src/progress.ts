import { currentStep, type PollerState } from '@berth/sdk';

const FRAMES = ['⠋', '⠙', '⠹', '⠸', '⠼', '⠴', '⠦', '⠧', '⠇', '⠏'];

/**
 * Shows a long-running operation's progress on stderr, with the step it is in: a spinner
 * line on a terminal, plain lines otherwise (one per step and every 10 s).
 */
export class Progress {
  private frame = 0;
  private lastState = '';
  private lastLine = 0;
  private readonly tty = Boolean(process.stderr.isTTY);

  constructor(private readonly what: string) {}

  update(state: PollerState, elapsedMs: number): void {
    const seconds = Math.round(elapsedMs / 1000);
    const step = currentStep(state);
    const shown = step ? `${state.status}: ${step}` : state.status;
    const text = `${this.what}: ${shown} (${seconds}s)`;
    if (this.tty) {
      process.stderr.write(`\r\x1b[2K${FRAMES[this.frame++ % FRAMES.length]} ${text}`);
      return;
    }
    if (shown !== this.lastState || Date.now() - this.lastLine >= 10_000) {
      process.stderr.write(`${text}\n`);
      this.lastState = shown;
      this.lastLine = Date.now();
    }
  }

  done(state: string, elapsedMs: number): void {
    const text = `${this.what}: ${state} (${Math.round(elapsedMs / 1000)}s)`;
    process.stderr.write(this.tty ? `\r\x1b[2K${text}\n` : state !== this.lastState ? `${text}\n` : '');
  }
}
