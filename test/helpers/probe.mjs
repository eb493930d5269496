// Test helper run inside a network namespace: `serve PORT` accepts TCP and answers "ok";
// `connect SRC DST PORT TIMEOUT_MS` prints "open" or "blocked"; `loop SRC DST PORT MS_TOTAL`
// connects repeatedly and prints one JSON summary {attempts, open}.
import net from 'node:net';

const [mode, ...a] = process.argv.slice(2);

function connectOnce(src, dst, port, timeoutMs) {
  return new Promise((resolve) => {
    const s = net.connect({ host: dst, port: Number(port), localAddress: src });
    const done = (r) => { clearTimeout(timer); s.destroy(); resolve(r); };
    const timer = setTimeout(() => done('blocked'), Number(timeoutMs));
    s.on('connect', () => done('open'));
    s.on('error', (e) => done(e.code === 'ECONNREFUSED' ? 'refused' : 'blocked'));
  });
}

if (mode === 'serve') {
  const srv = net.createServer((c) => { c.on('error', () => undefined); c.end('ok\n'); });
  srv.listen({ port: Number(a[0]), host: '::', ipv6Only: false }, () => process.stdout.write('listening\n'));
} else if (mode === 'connect') {
  process.stdout.write((await connectOnce(a[0], a[1], a[2], a[3])) + '\n');
} else if (mode === 'loop') {
  const end = Date.now() + Number(a[3]);
  let attempts = 0, open = 0;
  while (Date.now() < end) {
    attempts++;
    if ((await connectOnce(a[0], a[1], a[2], 150)) === 'open') open++;
  }
  process.stdout.write(JSON.stringify({ attempts, open }) + '\n');
} else {
  process.stderr.write('usage: probe.mjs serve|connect|loop ...\n');
  process.exit(2);
}
