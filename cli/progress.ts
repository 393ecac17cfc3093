/**
 * Progress on stderr for long work. On a terminal one line is rewritten in place a few times a
 * second; elsewhere (CI logs, pipes) a line is printed at most every 10 seconds so logs stay short.
 */
export interface Progress {
  phase(message: string): void;
  update(message: string, fraction?: number): void;
  done(message: string): void;
  /** A line of its own, whatever is being shown (on a terminal the progress line comes back on the next update). */
  note(message: string): void;
  clear(): void;
}

export function createProgress(stream: NodeJS.WriteStream, quiet = false): Progress {
  const tty = Boolean(stream.isTTY);
  const interval = tty ? 200 : 10_000;
  let last = 0;
  let current = '';
  let shown = false;
  const write = (text: string) => {
    if (quiet) return;
    if (tty) {
      stream.write(`\r\x1b[2K${text}`);
      shown = true;
    } else stream.write(`${text}\n`);
  };
  return {
    phase(message) {
      current = message;
      last = Date.now();
      write(`${message} …`);
    },
    update(message, fraction) {
      const now = Date.now();
      if (now - last < interval) return;
      last = now;
      const percent = fraction === undefined ? '' : ` (${Math.round(Math.max(0, fraction) * 100)}%)`;
      write(`${message}${percent}`);
    },
    done(message) {
      if (tty) {
        if (message) write(`${current}: ${message}\n`);
        else if (shown) stream.write('\r\x1b[2K');
        shown = false;
      } else if (message) write(`${current}: ${message}`);
    },
    note(message) {
      if (quiet) return;
      stream.write(tty ? `\r\x1b[2K${message}\n` : `${message}\n`);
      shown = false;
    },
    clear() {
      if (tty && shown && !quiet) stream.write('\r\x1b[2K');
      shown = false;
    },
  };
}
