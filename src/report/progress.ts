// Progress: a cli-progress bar on a TTY, plain log lines otherwise (CI logs, pipes, journald).
import cliProgress from 'cli-progress';
import type { ProgressEvent } from './types.js';
import { humanBytes } from './text.js';

/**
 * 'quiet': nothing; 'warnings': warning lines only (--json on a pipe); 'full': progress too.
 * Warnings always go out as plain lines, never only inside a bar that clears itself.
 */
export function progressReporter(stream: NodeJS.WriteStream, level: 'quiet' | 'warnings' | 'full'): { onEvent: (e: ProgressEvent) => void; stop: () => void } {
  if (level === 'quiet') return { onEvent: () => {}, stop: () => {} };
  const log = (s: string) => stream.write(s + '\n');
  if (!stream.isTTY || level === 'warnings') {
    return {
      onEvent: (e) => {
        if (level === 'warnings' && e.kind !== 'warning') return;
        if (e.kind === 'phase') log(`cas-migrate: ${e.phase}`);
        else if (e.kind === 'layer-checksummed' && e.v1Id) log(`cas-migrate: layer ${e.v1Id.slice(0, 12)} ${e.diffId} path ${e.path} ${e.seconds.toFixed(3)}s`);
        else if (e.kind === 'warning') log(`cas-migrate: warning: ${e.finding.v1Id ? `layer ${e.finding.v1Id}: ` : ''}${e.finding.file ? `${e.finding.file}: ` : ''}${e.finding.message}`);
      },
      stop: () => {},
    };
  }
  const bar = new cliProgress.SingleBar(
    { stream, format: 'checksum [{bar}] {value}/{total} layers | {hashed} | {rate} | ETA {eta_formatted}', hideCursor: true, clearOnComplete: true },
    cliProgress.Presets.shades_classic,
  );
  let bytes = 0;
  const started = Date.now();
  let active = false;
  const payload = () => ({ hashed: humanBytes(bytes), rate: `${(bytes / 1e6 / Math.max(0.001, (Date.now() - started) / 1000)).toFixed(1)} MB/s` });
  return {
    onEvent: (e) => {
      if (e.kind === 'checksum-start') {
        bar.start(e.layers, 0, payload());
        active = true;
      } else if (e.kind === 'bytes') {
        bytes += e.bytes;
        if (active) bar.update(payload());
      } else if (e.kind === 'layer-checksummed' && active) bar.increment(1, payload());
      else if (e.kind === 'warning') {
        if (active) stream.write('\n');
        log(`cas-migrate: warning: ${e.finding.v1Id ? `layer ${e.finding.v1Id}: ` : ''}${e.finding.file ? `${e.finding.file}: ` : ''}${e.finding.message}`);
      }
      else if (e.kind === 'phase' && e.phase !== 'checksum' && active) {
        bar.stop();
        active = false;
      }
    },
    stop: () => {
      if (active) bar.stop();
    },
  };
}
