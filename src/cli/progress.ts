import cliProgress from 'cli-progress';

export interface Progress {
  update(done: number, total: number, note?: string): void;
  stop(): void;
}

/** A bar on a TTY; otherwise a plain line at most every 2 seconds (readable in CI logs). */
export function createProgress(label: string, stream: NodeJS.WriteStream = process.stderr): Progress {
  if (stream.isTTY) {
    const bar = new cliProgress.SingleBar(
      { format: `${label} [{bar}] {value}/{total} {note}`, stream, hideCursor: true, clearOnComplete: false },
      cliProgress.Presets.shades_classic,
    );
    let started = false;
    return {
      update(done, total, note = '') {
        if (!started) {
          bar.start(total, done, { note });
          started = true;
        } else bar.update(done, { note });
      },
      stop: () => started && bar.stop(),
    };
  }
  let last = 0;
  return {
    update(done, total, note = '') {
      const now = Date.now();
      if (done === total || now - last > 2000) {
        last = now;
        stream.write(`${label}: ${done}/${total}${note ? ` ${note}` : ''}\n`);
      }
    },
    stop() {},
  };
}
