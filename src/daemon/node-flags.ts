// The Node/V8 flags the daemon runs with (bin/watcher.js's shebang, `watcher start`, npm start, the
// systemd unit): a 1 MiB young generation and size-optimised code keep the idle daemon with all four
// modules under 80 MB RSS (94 MB with Node's defaults) at a small cost in peak throughput. One V8
// worker thread instead of four: on a 2-core VPS four GC/compiler workers compete for the CPUs with
// the `ipset`/`nft` process a live ban waits for (measured: live-ban p99 3.3 ms -> 1.3 ms, see
// test/bench/live-bans.ts); the daemon's work is on its main thread anyway.
export const DAEMON_NODE_FLAGS = ['--max-semi-space-size=1', '--optimize-for-size', '--v8-pool-size=1'] as const;
