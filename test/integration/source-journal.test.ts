// JournalSource against real journal files written by systemd-journal-remote and read by a real
// journalctl: first run at the end, unit/identifier filters, the cursor persisted, a restart that
// yields only newer entries, journalctl exiting reported as an error, an unusable cursor.
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import test, { type ExecutionContext } from 'ava';
import { journalFollowArgs, journalMatches, journalTailArgs } from '../../actors/sources/journal-args.js';
import { JournalSource, type JournalRecord, type RecordSink } from '../../actors/sources/journal-source.js';
import { JsonFileStore, MemoryStore } from '../../actors/sources/stores.js';

const REMOTE = ['/lib/systemd/systemd-journal-remote', '/usr/lib/systemd/systemd-journal-remote'].find((p) => existsSync(p));
const BOOT = '0123456789abcdef0123456789abcdef';
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
let mono = 1_000_000;

function tempDir(t: ExecutionContext): string {
  const dir = mkdtempSync(join(tmpdir(), 'watcher-journal-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** Appends entries to a journal file in the export format, the way a remote journal is received. */
function appendJournal(file: string, entries: Record<string, string>[]): Promise<void> {
  const text = entries
    .map((fields) => {
      mono += 1000;
      const all = { __REALTIME_TIMESTAMP: String(Date.now() * 1000 + (mono % 1000)), __MONOTONIC_TIMESTAMP: String(mono), _BOOT_ID: BOOT, ...fields };
      return `${Object.entries(all).map(([k, v]) => `${k}=${v}`).join('\n')}\n\n`;
    })
    .join('');
  return new Promise((resolve, reject) => {
    const child = spawn(REMOTE!, [`--output=${file}`, '--split-mode=none', '-'], { stdio: ['pipe', 'ignore', 'pipe'] });
    let err = '';
    child.stderr.on('data', (d) => (err += d));
    child.on('close', (code) => (code === 0 ? resolve() : reject(new Error(`journal-remote exited ${code}: ${err}`))));
    child.stdin.end(text);
  });
}

const sshd = (msg: string): Record<string, string> => ({ MESSAGE: msg, SYSLOG_IDENTIFIER: 'sshd', _SYSTEMD_UNIT: 'ssh.service' });
const cron = (msg: string): Record<string, string> => ({ MESSAGE: msg, SYSLOG_IDENTIFIER: 'CRON', _SYSTEMD_UNIT: 'cron.service' });

class RecordCollector implements RecordSink {
  readonly records: JournalRecord[] = [];
  readonly notices: string[] = [];
  readonly errors: Error[] = [];
  onRecords(records: JournalRecord[]): void {
    this.records.push(...records);
  }
  onError(err: Error): void {
    this.errors.push(err);
  }
  onNotice(msg: string): void {
    this.notices.push(msg);
  }
  get messages(): unknown[] {
    return this.records.map((r) => r.MESSAGE);
  }
  async until(done: () => boolean, timeoutMs = 5000): Promise<void> {
    const end = Date.now() + timeoutMs;
    while (!done()) {
      if (Date.now() > end) throw new Error(`timed out; have ${JSON.stringify(this.messages)}, notices ${JSON.stringify(this.notices)}`);
      await sleep(10);
    }
  }
}

const needsRemote = REMOTE ? test : test.skip;

test('journalctl arguments: cursor or beginning, location, OR-ed match groups', (t) => {
  t.deepEqual(journalFollowArgs({ file: '/x.journal', units: ['ssh.service'], identifiers: ['sshd', 'sshd-session'] }, { after: 's=1;i=2' }), [
    '--follow',
    '--output=json',
    '--no-pager',
    '--quiet',
    '--after-cursor=s=1;i=2',
    '--file=/x.journal',
    '_SYSTEMD_UNIT=ssh.service',
    '+',
    'SYSLOG_IDENTIFIER=sshd',
    'SYSLOG_IDENTIFIER=sshd-session',
  ]);
  t.deepEqual(journalFollowArgs({ directory: '/var/log/journal' }, { from: 'beginning' }).slice(4), ['--no-tail', '--directory=/var/log/journal']);
  t.deepEqual(journalTailArgs({ file: '/x.journal', units: ['a.service'] }), ['--lines=1', '--output=json', '--no-pager', '--quiet', '--file=/x.journal']);
  t.deepEqual(journalMatches({ matches: [['PRIORITY=3', '_COMM=sshd']], identifiers: ['x'] }), ['SYSLOG_IDENTIFIER=x', '+', 'PRIORITY=3', '_COMM=sshd']);
  t.throws(() => journalMatches({ matches: [['+']] }), { instanceOf: RangeError });
  t.throws(() => journalMatches({ matches: [['lower=case']] }), { instanceOf: RangeError });
});

needsRemote('first run starts at the end; filters select sshd by unit or identifier; the cursor is saved; a restart yields only newer entries', async (t) => {
  const dir = tempDir(t);
  const file = join(dir, 'remote.journal');
  const cursorFile = join(dir, 'cursor.json');
  await appendJournal(file, [sshd('old 1'), sshd('old 2')]);
  const sel = { file, units: ['ssh.service'], identifiers: ['sshd'] };
  let src = new JournalSource({ ...sel, cursors: new JsonFileStore<string>(cursorFile) });
  let sink = new RecordCollector();
  await src.start(sink);
  t.teardown(() => src.stop());
  const firstCursor = new JsonFileStore<string>(cursorFile).load();
  t.truthy(firstCursor, 'the end position is saved before any entry arrives');
  await appendJournal(file, [
    sshd('new 1'),
    cron('not for us'),
    { MESSAGE: 'by identifier only', SYSLOG_IDENTIFIER: 'sshd' },
    { MESSAGE: 'by unit only', SYSLOG_IDENTIFIER: 'sshd-session', _SYSTEMD_UNIT: 'ssh.service' },
  ]);
  await sink.until(() => sink.records.length >= 3);
  await sleep(200);
  t.deepEqual(sink.messages, ['new 1', 'by identifier only', 'by unit only']);
  t.is(src.linesRead, 3);
  t.true(src.bytesRead > 0);
  const saved = new JsonFileStore<string>(cursorFile).load();
  t.is(saved, sink.records[2]!.__CURSOR as string, 'the cursor of the last handled entry is persisted');
  t.is(sink.records[0]!.SYSLOG_IDENTIFIER, 'sshd');
  await src.stop();
  t.deepEqual(sink.errors, [], 'stop is not an error');

  await appendJournal(file, [sshd('while stopped 1'), cron('noise'), sshd('while stopped 2')]);
  src = new JournalSource({ ...sel, cursors: new JsonFileStore<string>(cursorFile) });
  sink = new RecordCollector();
  await src.start(sink);
  await sink.until(() => sink.records.length >= 2);
  await appendJournal(file, [sshd('after restart')]);
  await sink.until(() => sink.records.length >= 3);
  await sleep(200);
  t.deepEqual(sink.messages, ['while stopped 1', 'while stopped 2', 'after restart']);
});

needsRemote('an empty journal (which journalctl 252 refuses to follow) is awaited, then followed from its beginning', async (t) => {
  const dir = tempDir(t);
  const file = join(dir, 'remote.journal');
  await appendJournal(file, []);
  const store = new MemoryStore<string>();
  const src = new JournalSource({ file, cursors: store, emptyPollMs: 50 });
  const sink = new RecordCollector();
  await src.start(sink);
  t.teardown(() => src.stop());
  t.is(src.status, 'awaiting');
  await sleep(150);
  await appendJournal(file, [sshd('first ever'), sshd('second')]);
  await sink.until(() => sink.records.length >= 2);
  await appendJournal(file, [sshd('third')]);
  await sink.until(() => sink.records.length >= 3);
  t.deepEqual(sink.messages, ['first ever', 'second', 'third']);
  t.is(store.load(), sink.records[2]!.__CURSOR as string);
  t.deepEqual(sink.errors, []);
});

needsRemote('journalctl exiting is reported through onError, once', async (t) => {
  const dir = tempDir(t);
  const file = join(dir, 'remote.journal');
  await appendJournal(file, [sshd('x')]);
  const src = new JournalSource({ file, cursors: new MemoryStore<string>() });
  const sink = new RecordCollector();
  await src.start(sink);
  t.teardown(() => src.stop());
  process.kill(src.pid!, 'SIGKILL');
  await sink.until(() => sink.errors.length > 0);
  await sleep(100);
  t.is(sink.errors.length, 1);
  t.regex(sink.errors[0]!.message, /journalctl exited \(signal SIGKILL\)/);
  t.is(src.status, 'failed');
});

needsRemote('a journal that cannot be read: the first start rejects; with a saved cursor the exit goes to onError', async (t) => {
  const dir = tempDir(t);
  const missing = join(dir, 'missing.journal');
  const first = new JournalSource({ file: missing, cursors: new MemoryStore<string>() });
  await t.throwsAsync(first.start(new RecordCollector()), { message: /journalctl could not read the journal/ });
  const later = new JournalSource({ file: missing, cursors: new MemoryStore<string>('s=0123;i=1;b=0123;m=1;t=1;x=1') });
  const sink = new RecordCollector();
  await later.start(sink);
  t.teardown(() => later.stop());
  await sink.until(() => sink.errors.length > 0);
  t.regex(sink.errors[0]!.message, /journalctl exited \(code 1\)/);
});

needsRemote('a malformed saved cursor: noticed, then followed from the end instead of failing forever', async (t) => {
  const dir = tempDir(t);
  const file = join(dir, 'remote.journal');
  await appendJournal(file, [sshd('old')]);
  const store = new MemoryStore<string>('garbage');
  const src = new JournalSource({ file, cursors: store });
  const sink = new RecordCollector();
  await src.start(sink);
  t.teardown(() => src.stop());
  await sink.until(() => sink.notices.some((n) => n.includes('not usable')) && src.status === 'following' && src.pid !== undefined);
  await sleep(300);
  await appendJournal(file, [sshd('new')]);
  await sink.until(() => sink.records.length >= 1);
  t.deepEqual(sink.messages, ['new']);
  t.deepEqual(sink.errors, []);
});

test('journalctl missing: start rejects with a clear error', async (t) => {
  const src = new JournalSource({ cursors: new MemoryStore<string>(), journalctl: '/nonexistent/journalctl' });
  await t.throwsAsync(src.start(new RecordCollector()), { message: /cannot run \/nonexistent\/journalctl/ });
});
