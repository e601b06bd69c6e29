// A progress line for long commands (fuzz, a whole-space scan, scan-memory): drawn on stderr when stderr is a
// terminal and the output is not --json or --quiet; otherwise nothing at all. One line, redrawn at most ten times a
// second, that fits the terminal's width: label, bar, percentage, done/total (counts with separators, or bytes in
// KiB/MiB/GiB), rate, ETA and elapsed time; the bar is what shrinks, and goes, when the terminal is narrow.
import type { CommandContext } from './output';
import { formatSize } from '../common/format';

/** @internal */
export interface Progress {
  update(done: number): void;
  /** erases the line, so that output can be printed; the next update draws it again */
  clear(): void;
  stop(): void;
}

/** @internal What a progress line counts. */
export type ProgressUnit = 'cases' | 'bytes' | 'steps';

const SILENT: Progress = { update() {}, clear() {}, stop() {} };
const REDRAW_MS = 100;
const ERASE_LINE = '\r\x1b[K';

/** @internal 1234567 -> '1,234,567' */
export function formatCount(value: number): string {
  return Math.round(value).toLocaleString('en-US');
}

/** @internal 75 -> '1:15', 3725 -> '1:02:05' */
export function formatDuration(seconds: number): string {
  const whole = Math.max(0, Math.round(seconds));
  const [h, m, s] = [Math.floor(whole / 3600), Math.floor((whole % 3600) / 60), whole % 60];
  const two = (n: number): string => String(n).padStart(2, '0');
  return h > 0 ? `${h}:${two(m)}:${two(s)}` : `${m}:${two(s)}`;
}

/**
 * @internal The progress line for `done` of `total` after `elapsed` seconds, at most `width` columns: the parts that
 * say how far and how long come first; the bar takes what is left (none below 10 columns).
 */
export function progressLine(label: string, done: number, total: number, elapsed: number, unit: ProgressUnit, width: number): string {
  const amount = unit === 'bytes' ? (bytes: number): string => formatSize(BigInt(Math.round(bytes))) : formatCount;
  const fraction = total > 0 ? Math.min(1, done / total) : 1;
  const rate = elapsed > 0 ? done / elapsed : 0;
  const eta = rate > 0 && done < total ? formatDuration((total - done) / rate) : done >= total ? '0:00' : '?';
  const count = `${amount(done)}/${amount(total)}${unit === 'cases' ? ' cases' : ''}`;
  const speed = rate > 0 ? `${amount(rate)}/s` : '';
  const percent = `${Math.floor(fraction * 100)}%`.padStart(4);
  const tail = [percent, count, speed, `ETA ${eta}`, formatDuration(elapsed)].filter((part) => part !== '').join('  ');
  const room = width - 1 - label.length - tail.length - 5;  // 1: the terminal's last column; 5: the separators and brackets
  if (room < 10) return `${label}  ${tail}`.slice(0, width - 1);
  const barWidth = Math.min(40, room);
  const filled = Math.round(fraction * barWidth);
  return `${label} [${'#'.repeat(filled)}${'-'.repeat(barWidth - filled)}] ${tail}`;
}

/** @internal A progress line on context.err, or nothing where context.progress is false. */
export function startProgress(context: CommandContext, label: string, total: number, unit: ProgressUnit = 'cases'): Progress {
  if (!context.progress || total <= 0) return SILENT;
  const stream = context.err as NodeJS.WriteStream;
  const started = performance.now();
  let done = 0;
  let drawnAt = -Infinity;
  let shown = false;
  const draw = (): void => {
    drawnAt = performance.now();
    const width = stream.columns > 0 ? stream.columns : 80;  // a pseudo-terminal with no size set says 0
    const line = progressLine(label, done, total, (drawnAt - started) / 1000, unit, width);
    stream.write(`${ERASE_LINE}${line}`);
    shown = true;
  };
  const clear = (): void => {
    if (shown) stream.write(ERASE_LINE);
    shown = false;
  };
  draw();
  return {
    update(value) {
      done = value;
      if (performance.now() - drawnAt >= REDRAW_MS) draw();
    },
    clear,
    stop: clear,
  };
}
