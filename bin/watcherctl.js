#!/usr/bin/env node
// Launcher for `watcherctl`, the control CLI (compiled by `npm run build`).
import '../dist/src/cli/watcherctl.js';
