/**
 * Training progress: a cli-progress bar on a terminal; on a pipe or a log file (CI, tests) a
 * plain line every few seconds instead, since redrawn bars turn into noise there.
 */
import cliProgress from 'cli-progress';

export interface Progress {
  update(step: number, values: { loss: string; rate: string }): void;
  /** Print a line without breaking the bar. */
  log(line: string): void;
  stop(): void;
}

const PLAIN_INTERVAL_MS = 5000;

export function createProgress(total: number, start: number, stream: NodeJS.WriteStream = process.stderr): Progress {
  if (stream.isTTY) {
    const bar = new cliProgress.SingleBar(
      { format: ' {bar} {value}/{total} | loss {loss} | {rate} steps/s | ETA {eta_formatted}', hideCursor: true, etaBuffer: 50, stream },
      cliProgress.Presets.shades_classic,
    );
    bar.start(total, start, { loss: '-', rate: '-' });
    return {
      update: (step, values) => bar.update(step, values),
      log: (line) => {
        stream.write('\r\x1b[2K');
        console.log(line);
        bar.render();
      },
      stop: () => bar.stop(),
    };
  }
  let last = 0;
  return {
    update(step, values) {
      const now = Date.now();
      if (now - last < PLAIN_INTERVAL_MS && step !== total) return;
      last = now;
      console.log(`step ${step}/${total}  loss ${values.loss}  ${values.rate} steps/s`);
    },
    log: (line) => console.log(line),
    stop() {},
  };
}
