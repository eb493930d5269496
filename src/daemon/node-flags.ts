// The Node/V8 flags the daemon runs with (bin/watcher.js's shebang, `watcher start`, npm start, the
// systemd unit): a 1 MiB young generation and size-optimised code keep the idle daemon with all four
// modules under 80 MB RSS (94 MB with Node's defaults) at a small cost in peak throughput.
export const DAEMON_NODE_FLAGS = ['--max-semi-space-size=1', '--optimize-for-size'] as const;
