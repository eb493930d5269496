// StreamSource over real streams: chunks split into lines, the partial last line delivered at the
// end, errors reported once, stop lets go of a stream it does not own, a real child's stdout.
import { spawn } from 'node:child_process';
import { PassThrough } from 'node:stream';
import test from 'ava';
import { CollectSink } from '../../actors/sources/collect-sink.js';
import { StreamSource } from '../../actors/sources/stream-source.js';

test('chunks become lines; the partial last line is delivered at the end of input', async (t) => {
  const stream = new PassThrough();
  const src = new StreamSource({ stream, id: 'test' });
  const sink = new CollectSink();
  await src.start(sink);
  stream.write('one\ntw');
  stream.write('o\r\nthr');
  stream.end('ee');
  await src.done;
  t.deepEqual(sink.lines, ['one', 'two', 'three']);
  t.is(src.status, 'ended');
  t.is(src.linesRead, 3);
  t.is(src.bytesRead, 14);
  t.true(sink.notices.some((n) => n.includes('end of input')));
});

test('a stream error is reported once through onError', async (t) => {
  const stream = new PassThrough();
  const src = new StreamSource({ stream });
  const sink = new CollectSink();
  await src.start(sink);
  stream.destroy(new Error('broken pipe'));
  await src.done;
  t.is(sink.errors.length, 1);
  t.is(sink.errors[0]!.message, 'broken pipe');
  t.is(src.status, 'failed');
});

test('stop lets go of the stream without destroying it', async (t) => {
  const stream = new PassThrough();
  const src = new StreamSource({ stream });
  const sink = new CollectSink();
  await src.start(sink);
  stream.write('a\n');
  await sink.untilLines(1);
  await src.stop();
  stream.write('b\n');
  t.false(stream.destroyed);
  t.deepEqual(sink.lines, ['a']);
});

test('a child process stdout with many lines and a cut one', async (t) => {
  const child = spawn('sh', ['-c', 'seq 1 100000; head -c 100000 /dev/zero | tr "\\0" x; echo; echo last'], { stdio: ['ignore', 'pipe', 'inherit'] });
  const src = new StreamSource({ stream: child.stdout, id: 'child' });
  const sink = new CollectSink();
  await src.start(sink);
  await src.done;
  t.is(sink.lines.length, 100_002);
  t.is(sink.lines[99_999], '100000');
  t.is(sink.lines[100_000]!.length, 64 * 1024);
  t.is(sink.lines[100_001], 'last');
  t.is(src.linesCut, 1);
});
