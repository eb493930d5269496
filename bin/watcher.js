#!/usr/bin/env node
// Launcher for the `watcher` daemon and its service verbs (compiled by `npm run build`).
import '../dist/src/cli/watcher.js';
