/** Progress display: a cli-progress bar on a terminal, plain periodic lines otherwise (logs, CI). */
import cliProgress from 'cli-progress';

export interface Progress {
  update(value: number, fields: Record<string, string | number>): void;
  stop(): void;
}

function fmtTime(s: number): string {
  if (!Number.isFinite(s)) return '--';
  const m = Math.floor(s / 60);
  return m > 0 ? `${m}m${String(Math.round(s % 60)).padStart(2, '0')}s` : `${Math.round(s)}s`;
}

/**
 * A bar over `total` steps showing the given fields (e.g. loss, lr, it/s, ETA). Without a TTY it
 * prints one line every `every` steps instead.
 */
export function progress(label: string, total: number, start = 0, every = 10): Progress {
  if (process.stdout.isTTY) {
    const bar = new cliProgress.SingleBar(
      { format: `${label} |{bar}| {value}/{total} {text}`, hideCursor: true, barsize: 28, etaBuffer: 20 },
      cliProgress.Presets.shades_classic,
    );
    bar.start(total, start, { text: '' });
    return {
      update(value, fields) {
        bar.update(value, { text: Object.entries(fields).map(([k, v]) => `${k} ${v}`).join(' | ') });
      },
      stop() {
        bar.stop();
      },
    };
  }
  return {
    update(value, fields) {
      if (value % every === 0 || value === total) {
        console.log(`${label} ${value}/${total} ${Object.entries(fields).map(([k, v]) => `${k} ${v}`).join(' | ')}`);
      }
    },
    stop() {},
  };
}

export { fmtTime };
