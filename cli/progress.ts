import cliProgress from 'cli-progress';

/** A progress bar with ETA and a running value, drawn on stderr only when it is a terminal (quiet in pipes and CI). */
export interface Progress {
  start(total: number, label: string): void;
  update(done: number, payload?: Record<string, string>): void;
  stop(): void;
}

export function progress(enabled: boolean): Progress {
  if (!enabled || !process.stderr.isTTY) return { start() {}, update() {}, stop() {} };
  const bar = new cliProgress.SingleBar(
    { format: '{label} [{bar}] {value}/{total} | ETA {eta_formatted} | {info}', stream: process.stderr, hideCursor: true, clearOnComplete: true },
    cliProgress.Presets.shades_classic,
  );
  let label = '';
  return {
    start(total, l) {
      label = l;
      bar.start(total, 0, { label, info: '' });
    },
    update(done, payload) {
      bar.update(done, { label, info: Object.entries(payload ?? {}).map(([k, v]) => `${k} ${v}`).join(' ') });
    },
    stop() {
      bar.stop();
    },
  };
}

/** A line of status on stderr (suppressed with --json so stdout stays one JSON object). */
export function say(quiet: boolean, line: string): void {
  if (!quiet) process.stderr.write(line + '\n');
}
