// The Node/V8 flags the daemon runs with (bin/watcher.js's shebang, `watcher start`, npm start, the
// systemd unit), measured with `npm run bench` on a 2-core VPS:
// - a 1 MiB young generation and old-space growth of 1.5x (V8's default grows faster) keep the idle
//   daemon with all four modules under 80 MB RSS and 100,000 tracked offenders under 150 MB;
//   `--optimize-for-size`, used before for the same, halved the pipeline's throughput;
// - one V8 worker thread instead of four: four GC/compiler workers competed with the `ipset`/`nft`
//   process a live ban waits for (live-ban p99 3.3 ms -> 1.3 ms); the daemon's work is on its main
//   thread anyway.
export const DAEMON_NODE_FLAGS = ['--max-semi-space-size=1', '--v8-pool-size=1', '--heap-growing-percent=50'] as const;
