import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { LedgerLockedError } from '../../src/simulators';
import { lockFile } from '../../src/simulators/file-lock';
import { Journal, JournalCorruptError } from '../../src/simulators/journal';
import { Ledger } from '../../src/simulators/ledger';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'sagaline-ledger-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const readBack = (file: string) => {
  const entries: unknown[] = [];
  Journal.open(file, (entry) => entries.push(entry)).close();
  return entries;
};

describe('the journal', () => {
  it('gives back what was appended, in order, after it is closed and opened again', () => {
    const file = join(dir, 'j.jsonl');
    const journal = Journal.open<{ n: number }>(file, () => {});
    journal.append({ n: 1 });
    journal.append({ n: 2 });
    journal.close();
    expect(readBack(file)).toEqual([{ n: 1 }, { n: 2 }]);
  });

  it('drops a write cut short at its end (a process killed mid-write), and appends cleanly after it', () => {
    const file = join(dir, 'j.jsonl');
    writeFileSync(file, '{"n":1}\n{"n":');
    const journal = Journal.open<{ n: number }>(file, () => {});
    journal.append({ n: 2 });
    journal.close();
    expect(readFileSync(file, 'utf8')).toBe('{"n":1}\n{"n":2}\n');
  });

  it('refuses a file with a line in the middle that is not JSON, naming the file and the line', () => {
    const file = join(dir, 'j.jsonl');
    writeFileSync(file, '{"n":1}\nnot json\n{"n":3}\n');
    expect(() => Journal.open(file, () => {})).toThrow(JournalCorruptError);
    expect(() => Journal.open(file, () => {})).toThrow(`Line 2 of the simulator ledger ${file}`);
    lockFile(file)(); // the failed open released its lock
  });
});

describe('the ledger lock', () => {
  it('refuses a second open while the first is open, and allows it once closed', () => {
    const file = join(dir, 'j.jsonl');
    const unlock = lockFile(file);
    expect(() => lockFile(file)).toThrow(LedgerLockedError);
    unlock();
    lockFile(file)();
  });

  it('takes over a lock left by a process that died without cleaning up', () => {
    const file = join(dir, 'j.jsonl');
    const gone = spawnSync(process.execPath, ['-e', '']).pid as number;
    writeFileSync(`${file}.lock`, String(gone));
    const unlock = lockFile(file);
    expect(readFileSync(`${file}.lock`, 'utf8')).toBe(String(process.pid));
    unlock();
  });
});

describe('the ledger', () => {
  type Event = { type: 'added'; value: number };

  it('writes an answer’s events and its kept reply as one journal line', () => {
    const ledger = Ledger.open<Event>({ name: 'sums', dataDir: dir, evolve: () => {} });
    const reply = { key: 'k', request: 'POST /add', fingerprint: 'f', status: 201, body: { ok: true } };
    ledger.commit([{ type: 'added', value: 2 }], reply);
    ledger.close();
    const lines = readFileSync(join(dir, 'sums.jsonl'), 'utf8').trim().split('\n');
    expect(lines.map((line) => JSON.parse(line))).toEqual([{ events: [{ type: 'added', value: 2 }], reply }]);
  });

  it('rebuilds its state and its kept replies from the journal when opened again', () => {
    let total = 0;
    const first = Ledger.open<Event>({
      name: 'sums',
      dataDir: dir,
      evolve: (event) => (total += event.value),
    });
    const reply = { key: 'k', request: 'POST /add', fingerprint: 'f', status: 201, body: { total: 5 } };
    first.commit([{ type: 'added', value: 2 }]);
    first.commit([{ type: 'added', value: 3 }], reply);
    first.close();
    let reloaded = 0;
    const second = Ledger.open<Event>({
      name: 'sums',
      dataDir: dir,
      evolve: (event) => (reloaded += event.value),
    });
    expect(reloaded).toBe(5);
    expect(second.replyFor('k')).toEqual(reply);
    second.close();
  });
});
