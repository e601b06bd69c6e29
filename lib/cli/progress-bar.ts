// A progress bar for long commands (fuzz, a whole-space scan): drawn on stderr by cli-progress when stderr is a
// terminal and the output is not --json; otherwise nothing at all.
import { SingleBar } from 'cli-progress';

import type { CommandContext } from './output';

/** @internal */
export interface Progress {
  update(done: number): void;
  stop(): void;
}

const SILENT: Progress = { update() {}, stop() {} };

/** @internal */
export function startProgress(context: CommandContext, label: string, total: number): Progress {
  if (!context.progress || total <= 0) return SILENT;
  const bar = new SingleBar({
    stream: context.err,
    format: `${label} [{bar}] {percentage}% | {value}/{total} | {duration_formatted}`,
    barsize: 30,
    hideCursor: true,
    clearOnComplete: true,
    etaBuffer: 50,
  });
  bar.start(total, 0);
  return {
    update: (done) => bar.update(done),
    stop: () => bar.stop(),
  };
}
