// LineSplitter: table of chunkings and their lines, cut lines, CRLF, invalid UTF-8, byte accounting,
// agreement with a naive split under random chunk boundaries, and a throughput floor.
import test from 'ava';
import { performance } from 'node:perf_hooks';
import { LineSplitter, utf8SafeEnd } from '../../src/core/lines/splitter.js';
import { xorshift32 as rng } from '../helpers/prng.js';

const b = (s: string | number[]): Buffer => (typeof s === 'string' ? Buffer.from(s, 'utf8') : Buffer.from(s));

function feed(chunks: Buffer[], max?: number): { lines: string[]; splitter: LineSplitter } {
  const splitter = new LineSplitter(max !== undefined ? { maxLineBytes: max } : {});
  const lines: string[] = [];
  for (const c of chunks) lines.push(...splitter.push(c));
  return { lines, splitter };
}

// [name, chunks, expected lines, expected held bytes]
const table: [string, Buffer[], string[], number][] = [
  ['one line', [b('a\n')], ['a'], 0],
  ['two lines one chunk', [b('a\nbb\n')], ['a', 'bb'], 0],
  ['partial waits', [b('a\nbb')], ['a'], 2],
  ['partial completed later', [b('a\nb'), b('b\nc')], ['a', 'bb'], 1],
  ['partial over several chunks', [b('x'), b('y'), b('z\n')], ['xyz'], 0],
  ['empty lines kept', [b('\n\na\n')], ['', '', 'a'], 0],
  ['CRLF stripped', [b('a\r\nb\r\n')], ['a', 'b'], 0],
  ['CR split from LF across chunks', [b('a\r'), b('\nb\n')], ['a', 'b'], 0],
  ['lone CR inside stays', [b('a\rb\n')], ['a\rb'], 0],
  ['empty chunk', [b(''), b('a\n'), b('')], ['a'], 0],
  ['newline only chunk ends partial', [b('abc'), b('\n')], ['abc'], 0],
  ['multibyte char split across chunks', [b([0x68, 0xc3]), b([0xa9, 0x0a])], ['hé'], 0],
  ['invalid byte before newline', [b([0x61, 0xff, 0x0a, 0x62, 0x0a])], ['a\ufffd', 'b'], 0],
  ['truncated sequence before newline', [b([0xe2, 0x82, 0x0a, 0x41, 0x0a])], ['\ufffd', 'A'], 0],
  ['invalid in partial', [b([0xc3]), b([0x0a])], ['\ufffd'], 0],
];

for (const [name, chunks, expected, held] of table) {
  test(`splits: ${name}`, (t) => {
    const { lines, splitter } = feed(chunks);
    t.deepEqual(lines, expected);
    t.is(splitter.heldBytes, held);
    t.is(splitter.consumedBytes + splitter.heldBytes, chunks.reduce((n, c) => n + c.length, 0));
  });
}

test('a line over the limit is cut to the limit, counted, and the rest discarded up to its newline', (t) => {
  const long = 'x'.repeat(200 * 1024);
  const { lines, splitter } = feed([b(`a\n${long}\nb\n`)]);
  t.is(lines.length, 3);
  t.is(lines[0], 'a');
  t.is(lines[1], 'x'.repeat(64 * 1024));
  t.is(lines[2], 'b');
  t.is(splitter.linesCut, 1);
  t.is(splitter.heldBytes, 0);
});

test('a line over the limit that arrives in small chunks is cut the same way', (t) => {
  const text = `a\n${'y'.repeat(200 * 1024)}\nb\n`;
  const chunks: Buffer[] = [];
  for (let i = 0; i < text.length; i += 1000) chunks.push(b(text.slice(i, i + 1000)));
  const { lines, splitter } = feed(chunks);
  t.deepEqual(lines, ['a', 'y'.repeat(64 * 1024), 'b']);
  t.is(splitter.linesCut, 1);
});

test('the cut never ends inside a multi-byte character', (t) => {
  // "é" is 2 bytes: 5 of them are 10 bytes; a limit of 9 must keep 4 whole characters, not 4.5.
  for (const split of [false, true]) {
    const text = b(`${'é'.repeat(5)}\n`);
    const chunks = split ? [text.subarray(0, 3), text.subarray(3)] : [text];
    const { lines, splitter } = feed(chunks, 9);
    t.deepEqual(lines, ['éééé'], split ? 'through the partial buffer' : 'inside one chunk');
    t.is(splitter.linesCut, 1);
  }
});

test('a line of exactly the limit is not cut', (t) => {
  const { lines, splitter } = feed([b(`${'z'.repeat(16)}\nq\n`)], 16);
  t.deepEqual(lines, ['z'.repeat(16), 'q']);
  t.is(splitter.linesCut, 0);
});

test('a partial line waiting past the limit is held at the limit, not beyond', (t) => {
  const s = new LineSplitter({ maxLineBytes: 8 });
  t.deepEqual(s.push(b('0123456789abcdef')), []);
  t.is(s.heldBytes, 16, 'held counts the discarded tail too (the position is before the line)');
  t.deepEqual(s.push(b('gh\nok\n')), ['01234567', 'ok']);
  t.is(s.linesCut, 1);
});

test('flush turns the partial last line into a line', (t) => {
  const s = new LineSplitter();
  t.deepEqual(s.push(b('a\nlast')), ['a']);
  t.deepEqual(s.flush(), ['last']);
  t.is(s.heldBytes, 0);
  t.deepEqual(s.flush(), []);
});

test('does not keep the caller buffer: reusing it after push changes nothing', (t) => {
  const s = new LineSplitter();
  const buf = b('hello\nwor');
  t.deepEqual(s.push(buf), ['hello']);
  buf.fill(0x21);
  t.deepEqual(s.push(b('ld\n')), ['world']);
});

test('accepts a plain Uint8Array', (t) => {
  const s = new LineSplitter();
  t.deepEqual(s.push(new Uint8Array([0x61, 0x0a])), ['a']);
});

test('utf8SafeEnd backs off incomplete characters only', (t) => {
  const euro = b('€'); // e2 82 ac
  t.is(utf8SafeEnd(euro, 0, 3), 3);
  t.is(utf8SafeEnd(euro, 0, 2), 0);
  t.is(utf8SafeEnd(euro, 0, 1), 0);
  t.is(utf8SafeEnd(b('a€'), 0, 3), 1);
  t.is(utf8SafeEnd(b('ab'), 0, 2), 2);
  t.is(utf8SafeEnd(b([0x80, 0x80, 0x80, 0x80, 0x80]), 0, 5), 5, 'garbage is left to the decoder');
});

test('random chunk boundaries give the same lines and byte counts as splitting the whole input', (t) => {
  const r = rng(7);
  const pieces: string[] = [];
  for (let i = 0; i < 3000; i++) {
    const k = r() % 20;
    if (k === 0) pieces.push('');
    else if (k === 1) pieces.push(`crlf ${i}\r`);
    else if (k === 2) pieces.push(`long ${'L'.repeat(300)} ${i}`);
    else if (k === 3) pieces.push(`ünïcödé €${i} 𝄞`);
    else pieces.push(`Nov 22 01:50:29 host sshd[${i}]: Failed password for root from 10.0.${i & 255}.${k} port 22`);
  }
  const text = b(`${pieces.join('\n')}\ntail-without-newline`);
  const expected = pieces.map((p) => (p.endsWith('\r') ? p.slice(0, -1) : p)).map((p) => (Buffer.byteLength(p) > 200 ? Buffer.from(p).subarray(0, 200).toString() : p));
  for (let round = 0; round < 20; round++) {
    const s = new LineSplitter({ maxLineBytes: 200 });
    const got: string[] = [];
    let at = 0;
    while (at < text.length) {
      const size = 1 + (r() % (round < 10 ? 64 : 4096));
      for (const l of s.push(text.subarray(at, at + size))) got.push(l);
      at += size;
    }
    t.deepEqual(got, expected);
    t.is(s.consumedBytes, text.length - 'tail-without-newline'.length);
    t.is(s.linesCut, expected.filter((l, i) => l !== pieces[i] && !pieces[i]!.endsWith('\r')).length);
  }
});

test('splits well over a million lines per second', (t) => {
  const line = 'Nov 22 01:50:29 host sshd[23796]: Failed password for invalid user admin from 203.0.113.77 port 50112 ssh2\n';
  const n = 1_000_000;
  const chunkBytes = 256 * 1024;
  const whole = b(line.repeat(n));
  let best = Infinity;
  let count = 0;
  for (let run = 0; run < 3; run++) {
    const s = new LineSplitter();
    count = 0;
    const t0 = performance.now();
    for (let at = 0; at < whole.length; at += chunkBytes) count += s.push(whole.subarray(at, at + chunkBytes)).length;
    best = Math.min(best, performance.now() - t0);
  }
  const rate = n / (best / 1000);
  t.is(count, n);
  t.log(`${Math.round(rate).toLocaleString('en')} lines/s (${(whole.length / 1e6 / (best / 1000)).toFixed(0)} MB/s)`);
  t.true(rate > 1_000_000, `${Math.round(rate)} lines/s`);
});
