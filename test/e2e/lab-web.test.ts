// The e2e lab itself, without Watcher: real nginx (a.example with basic auth, b.example, limit_req)
// on the lab's private host, hit by curl from the peer with basic-auth failures, scanner paths and
// a request flood; access and error lines reach the WB FIFO (and the nginx log files).
import test from 'ava';
import { readFileSync } from 'node:fs';
import { e2eUnavailable, startMailLab, PEER4, type E2ELab } from '../helpers/e2e-lab.js';
import { startNginx, VHOST_A, VHOST_B, type Nginx } from '../helpers/e2e-daemons.js';
import { connectProbe, curlBasicAuth, curlFlood, curlPaths, curlScan } from '../helpers/e2e-attacks.js';
import { FifoReader } from '../helpers/e2e-fifo.js';
import { SharedScope } from '../helpers/e2e-scope.js';

const why = e2eUnavailable('web');
if (why) {
  console.log(`SKIP e2e web lab: ${why}`);
  test.skip('e2e lab: nginx, curl', () => undefined);
} else {
  const scope = new SharedScope();
  let lab: E2ELab;
  let nginx: Nginx;
  let wb: FifoReader;

  test.before(async () => {
    lab = await startMailLab(scope);
    wb = new FifoReader(lab.fifos.WB, scope);
    nginx = await startNginx(scope, lab);
  });
  test.after.always(() => scope.closeOrThrow());

  test.serial('nginx serves both vhosts; access lines in the watcher format reach the WB FIFO', async (t) => {
    t.log(`nginx listening after ${nginx.startMs} ms`);
    t.is(await connectProbe(lab, PEER4, 80), 'open');
    t.deepEqual(await curlPaths(lab, '203.0.113.40', ['/'], { vhost: VHOST_A }), [200]);
    t.deepEqual(await curlPaths(lab, '203.0.113.40', ['/'], { vhost: VHOST_B }), [200]);
    t.deepEqual(await curlPaths(lab, '203.0.113.40', ['/private/'], { vhost: VHOST_A, user: nginx.authUser, password: nginx.authPassword }), [200]);
    const a = await wb.waitFor(/ mail nginx: a\.example 203\.0\.113\.40 - - \[\d\d\/\w{3}\/\d{4}:\d\d:\d\d:\d\d [+-]\d{4}\] "GET \/ HTTP\/1\.1" 200 \d+ "-" "[^"]*"$/);
    await wb.waitFor(/ mail nginx: b\.example 203\.0\.113\.40 - - .*"GET \/ HTTP\/1\.1" 200 /);
    await wb.waitFor(/ mail nginx: a\.example 203\.0\.113\.40 - admin .*"GET \/private\/ HTTP\/1\.1" 200 /);
    t.log(a[0]);
  });

  test.serial('basic-auth failures from 203.0.113.5 on a.example: 401 access lines and error lines', async (t) => {
    const codes = await curlBasicAuth(lab, '203.0.113.5', { count: 4 });
    t.deepEqual(codes, [401, 401, 401, 401]);
    const mism = await wb.waitFor(/ mail nginx_error: \d{4}\/\d\d\/\d\d \d\d:\d\d:\d\d \[error\] \d+#\d+: \*\d+ user "admin": password mismatch, client: 203\.0\.113\.5, server: a\.example, request: "GET \/private\/ HTTP\/1\.1", host: "a\.example"$/, { count: 2 });
    const nf = await wb.waitFor(/nginx_error: .*\[error\] .* user "ghost" was not found in ".*htpasswd", client: 203\.0\.113\.5, server: a\.example, /, { count: 2 });
    const acc = await wb.waitFor(/ mail nginx: a\.example 203\.0\.113\.5 - (admin|ghost) .*"GET \/private\/ HTTP\/1\.1" 401 /, { count: 4 });
    t.log([mism[0], nf[0], acc[0]].join('\n'));
  });

  test.serial('a scanner from 203.0.113.6 on b.example: 404s for well-known paths', async (t) => {
    const codes = await curlScan(lab, '203.0.113.6');
    t.true(codes.every((c) => c === 404), codes.join(','));
    const acc = await wb.waitFor(/ mail nginx: b\.example 203\.0\.113\.6 - - .*"GET \/(wp-login\.php|\.env|phpmyadmin\/index\.php|\.git\/config|xmlrpc\.php|cgi-bin\/luci) HTTP\/1\.1" 404 /, {
      // nginx sends syslog datagrams non-blocking and drops one when the socket is full; on a busy
      // CI machine the last access line of a burst was seen missing once. The scan is proven by the rest.
      count: codes.length - 1,
    });
    const err = await wb.waitFor(/nginx_error: .*\[error\] .* open\(\) ".*\/wp-login\.php" failed \(2: No such file or directory\), client: 203\.0\.113\.6, server: b\.example, request: "GET \/wp-login\.php HTTP\/1\.1", host: "b\.example"/);
    t.log([acc[0], err[0]].join('\n'));
  });

  test.serial('a request flood from 203.0.113.7 on b.example: limit_req answers 503 and logs it', async (t) => {
    const codes = await curlFlood(lab, '203.0.113.7', { requests: 40 });
    const n503 = codes.filter((c) => c === 503).length;
    t.is(codes.length, 40);
    t.true(n503 >= 10, `503s: ${n503}`); // burst 10 + 5 r/s: most of 40 back-to-back requests
    // Every 503 has its access line; the error lines come through rsyslog too, but on a loaded machine
    // some arrive late: ten of them prove the format (the WB flood rule counts access lines).
    const acc = await wb.waitFor(/ mail nginx: b\.example 203\.0\.113\.7 - - .*"GET \/\?page=\d+ HTTP\/1\.1" 503 /, { count: n503, timeoutMs: 30_000 });
    const lim = await wb.waitFor(/nginx_error: .*\[error\] .* limiting requests, excess: [\d.]+ by zone "flood", client: 203\.0\.113\.7, server: b\.example, request: "GET \/\?page=\d+ HTTP\/1\.1", host: "b\.example"/, { count: 10, timeoutMs: 30_000 });
    t.log(`${codes.length} requests, ${n503} answered 503\n${lim[0]}\n${acc[0]}`);
    // The same lines are in nginx's own files (a WB file source can read those instead).
    t.true(readFileSync(nginx.accessLog, 'utf8').includes('b.example 203.0.113.7 - - '));
    t.true(readFileSync(nginx.errorLog, 'utf8').includes('limiting requests'));
  });

  test.serial('IPv6 clients are logged with their v6 address', async (t) => {
    const codes = await curlBasicAuth(lab, '2001:db8:1::5', { count: 1 });
    t.deepEqual(codes, [401]);
    const l = await wb.waitFor(/ mail nginx: a\.example 2001:db8:1::5 - admin .*" 401 /);
    const e = await wb.waitFor(/password mismatch, client: 2001:db8:1::5, server: a\.example/);
    t.log([l[0], e[0]].join('\n'));
  });
}
