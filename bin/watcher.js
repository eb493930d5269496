#!/usr/bin/env -S node --max-semi-space-size=1 --v8-pool-size=1 --heap-growing-percent=50
// Launcher for the `watcher` daemon and its service verbs (compiled by `npm run build`).
import '../dist/src/cli/watcher.js';
