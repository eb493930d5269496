// Locates this installation (the directory holding package.json, bin/ and conf/) from the running
// code, whether it runs compiled from dist/ or as TypeScript from src/.
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Templates } from './plan.js';

export function packageDir(): string {
  let dir = path.dirname(fileURLToPath(import.meta.url));
  for (;;) {
    if (existsSync(path.join(dir, 'package.json')) && existsSync(path.join(dir, 'bin', 'watcher.js'))) return dir;
    const parent = path.dirname(dir);
    if (parent === dir) throw new Error('cannot find the Watcher installation (package.json next to bin/watcher.js)');
    dir = parent;
  }
}

export function readTemplates(pkg: string): Templates {
  const read = (name: string) => readFileSync(path.join(pkg, 'conf', name), 'utf8');
  return {
    service: read('watcher.service'),
    sysv: read('watcher.init'),
    logrotate: read('watcher.logrotate'),
    rsyslog: read('rsyslog-watcher.conf'),
    syslogNg: read('syslog-ng-watcher.conf'),
  };
}
