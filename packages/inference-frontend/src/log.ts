// JSON logs. Lines are gathered and written once per turn of the event loop: stdout to a pipe is
// synchronous on Linux, so one write per batch rather than per request keeps the proxy path short.
let pending = '';
let scheduled = false;

function flush(): void {
  scheduled = false;
  const out = pending;
  pending = '';
  process.stdout.write(out);
}

/** Appends one line (already JSON) to stdout, written at the end of this turn of the event loop. */
export function writeLine(line: string): void {
  pending += line + '\n';
  if (!scheduled) {
    scheduled = true;
    setImmediate(flush);
  }
}

export function flushLogs(): void {
  if (pending) flush();
}

export function log(level: 'info' | 'warn' | 'error', msg: string, fields: Record<string, unknown> = {}): void {
  const line = JSON.stringify({ time: new Date().toISOString(), level, msg, ...fields });
  if (level === 'error') process.stderr.write(line + '\n');
  else writeLine(line);
}
