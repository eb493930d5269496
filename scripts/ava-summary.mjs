// Runs ava with the TAP reporter, echoes its output, and closes with the plain line
// "N passed, N failed, N skipped" that CI reads; exits with ava's status.
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';

const child = spawn('npx', ['ava', '--tap', ...process.argv.slice(2)], { stdio: ['ignore', 'pipe', 'inherit'] });
let passed = 0, failed = 0, skipped = 0, todo = 0;
const rl = createInterface({ input: child.stdout });
rl.on('line', (line) => {
  process.stdout.write(line + '\n');
  if (/^ok \d+ .*# SKIP/.test(line)) skipped++;
  else if (/^(not ok) \d+ .*# TODO/.test(line)) todo++;
  else if (/^ok \d+/.test(line)) passed++;
  else if (/^not ok \d+/.test(line)) failed++;
});
child.on('close', (code) => {
  const status = code ?? 1;
  if (passed + failed + skipped === 0 && status === 0) {
    console.log('ava ran no test');
    process.exit(1);
  }
  console.log(`tests: ${passed} passed, ${failed} failed, ${skipped} skipped`);
  process.exit(status !== 0 ? status : failed > 0 ? 1 : 0);
});
