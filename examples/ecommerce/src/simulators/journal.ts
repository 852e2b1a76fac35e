import {
  closeSync,
  existsSync,
  fdatasyncSync,
  fstatSync,
  fsyncSync,
  ftruncateSync,
  mkdirSync,
  openSync,
  readFileSync,
  writeSync,
} from 'node:fs';
import { dirname } from 'node:path';
import { Logger } from '@nestjs/common';
import { lockFile } from './file-lock';

/** A line of a journal is not JSON: the file was changed by hand or by something else. */
export class JournalCorruptError extends Error {
  readonly code = 'SIMULATOR_JOURNAL_CORRUPT';
  constructor(
    readonly file: string,
    readonly line: number,
    reason: string,
  ) {
    super(
      `Line ${line} of the simulator ledger ${file} is not valid JSON (${reason}). ` +
        'Restore the file, or delete it to start the simulator with an empty ledger.',
    );
    this.name = 'JournalCorruptError';
  }
}

const NEWLINE = 0x0a;

/**
 * An append-only file of JSON lines, one entry a line, each written and flushed to disk
 * (`fdatasync`) before `append` returns, so whatever a simulator answered survives a `kill -9` of its
 * process or a power cut. Synchronous on purpose: an entry is on disk before the next request is
 * even looked at, so the order of the file is the order of the answers.
 *
 * A process killed in the middle of a write leaves at most one line without its newline at the
 * end: `open` cuts it off (its request was never answered). The file is locked to this process
 * while it is open, so two simulators never write one ledger.
 */
export class Journal<T> {
  private readonly logger = new Logger('Journal');

  private constructor(
    readonly file: string,
    private readonly fd: number,
    private size: number,
    private readonly unlock: () => void,
  ) {}

  /** Opens the journal (creating it and its directory), handing each stored entry to `replay`, oldest first. */
  static open<T>(file: string, replay: (entry: T) => void): Journal<T> {
    mkdirSync(dirname(file), { recursive: true });
    const unlock = lockFile(file);
    try {
      const created = !existsSync(file);
      const stored = created ? Buffer.alloc(0) : readFileSync(file);
      const complete = stored.lastIndexOf(NEWLINE) + 1;
      const lines = stored.subarray(0, complete).toString('utf8').split('\n');
      lines.pop(); // what follows the last newline: nothing, or a write cut short
      lines.forEach((line, index) => {
        let entry: T;
        try {
          entry = JSON.parse(line) as T;
        } catch (error) {
          throw new JournalCorruptError(file, index + 1, (error as Error).message);
        }
        replay(entry);
      });
      const fd = openSync(file, 'a');
      if (created) syncDirectory(dirname(file));
      const journal = new Journal<T>(file, fd, complete, unlock);
      if (complete < stored.length) {
        journal.logger.warn(
          `${file} ended with ${stored.length - complete} bytes of a write cut short (the process was killed while writing); they are dropped.`,
        );
        journal.truncate();
      }
      return journal;
    } catch (error) {
      unlock();
      throw error;
    }
  }

  /** Writes `entry` as one line and flushes it to disk; throws (storing nothing) when the disk refuses. */
  append(entry: T): void {
    const line = Buffer.from(`${JSON.stringify(entry)}\n`, 'utf8');
    try {
      let written = 0;
      while (written < line.length) written += writeSync(this.fd, line, written);
      fdatasyncSync(this.fd);
      this.size += line.length;
    } catch (error) {
      // a partial line would glue itself to the next entry: take it back
      this.truncate();
      throw error;
    }
  }

  /** Closes the file and releases its lock. */
  close(): void {
    closeSync(this.fd);
    this.unlock();
  }

  private truncate(): void {
    if (fstatSync(this.fd).size === this.size) return;
    ftruncateSync(this.fd, this.size);
    fsyncSync(this.fd);
  }
}

/** Makes a new file's directory entry durable too (POSIX); a no-op where directories cannot be opened. */
function syncDirectory(directory: string): void {
  let fd: number | undefined;
  try {
    fd = openSync(directory, 'r');
    fsyncSync(fd);
  } catch {
    // Windows cannot fsync a directory; its file system journals the entry itself
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}
