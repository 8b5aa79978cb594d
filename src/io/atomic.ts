import { closeSync, fsyncSync, openSync, renameSync, unlinkSync, writeSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { basename, dirname, join } from 'node:path';

/**
 * Writes `bytes` to `path` atomically: a temporary file in the same
 * directory is written, flushed to disk (fsync) and renamed over `path`,
 * then the directory is fsynced so the rename itself is durable. A crash or
 * an error never leaves a partial file at `path`, and the temporary file is
 * removed on failure. Errors name `path` and `what` was being written.
 *
 * @example
 * writeFileAtomic('runs/vae/config.json', new TextEncoder().encode(json), 'config');
 */
export function writeFileAtomic(path: string, bytes: Uint8Array, what = 'file'): void {
  const dir = dirname(path);
  const tmp = join(dir, `.${basename(path)}.tmp-${process.pid}-${randomBytes(6).toString('hex')}`);
  let fd: number | null = null;
  let renamed = false;
  try {
    fd = openSync(tmp, 'wx');
    let written = 0;
    while (written < bytes.length) written += writeSync(fd, bytes, written, bytes.length - written);
    fsyncSync(fd);
    closeSync(fd);
    fd = null;
    renameSync(tmp, path);
    renamed = true;
  } catch (err) {
    throw new Error(`${path}: cannot write ${what}: ${(err as Error).message}`, { cause: err });
  } finally {
    if (fd !== null) closeSync(fd);
    if (!renamed) {
      try {
        unlinkSync(tmp);
      } catch {
        // The temporary file was never created.
      }
    }
  }
  // Directories cannot be fsynced on some platforms (Windows); the file is
  // complete either way, so this is best effort.
  try {
    const dirFd = openSync(dir, 'r');
    try {
      fsyncSync(dirFd);
    } finally {
      closeSync(dirFd);
    }
  } catch {
    // best effort
  }
}
