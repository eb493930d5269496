// `watcherctl trace [--actor A]`: prints live state transitions and events of the actor system
// (xstate inspection) until interrupted. --json prints the frames as NDJSON.
import { stream } from '../../control/client.js';
import type { TraceFrame } from '../../daemon/trace.js';
import { configOf, EXIT, reportFailure, UsageError, type CtlFlags } from './common.js';

function human(f: TraceFrame): string {
  const t = new Date(f.t).toISOString().slice(11, 23);
  if (f.kind === 'transition') return `${t} ${f.actor} -> ${typeof f.state === 'string' ? f.state : JSON.stringify(f.state)}  (on ${f.event}${f.status !== 'active' ? `, ${f.status}` : ''})`;
  if (f.kind === 'event') {
    const { type, ...rest } = f.event;
    const extra = Object.keys(rest).length ? ` ${JSON.stringify(rest)}` : '';
    return `${t} ${f.from ?? '(outside)'} => ${f.actor}: ${String(type)}${extra}`;
  }
  return `${t} ${f.actor} started`;
}

export async function traceCommand(args: string[], flags: CtlFlags): Promise<number> {
  if (args.length > 0) throw new UsageError('trace takes no arguments (use --actor A)');
  const config = configOf(flags);
  try {
    const s = await stream(config.control.socket, { cmd: 'trace', ...(flags.actor ? { actor: flags.actor } : {}) }, (frame) => {
      const ev = frame.event as TraceFrame | { dropped: number };
      if (flags.json) process.stdout.write(JSON.stringify(ev) + '\n');
      else if ('dropped' in ev) process.stdout.write(`(${ev.dropped} frames dropped: this terminal is slower than the daemon)\n`);
      else process.stdout.write(human(ev) + '\n');
    });
    if (!s.response.ok) {
      process.stderr.write(`watcherctl: ${s.response.error?.message ?? 'refused'}\n`);
      return EXIT.error;
    }
    if (!flags.json) process.stderr.write(`tracing ${flags.actor ?? 'every actor'}; Ctrl-C stops\n`);
    const stop = () => s.stop();
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
    process.stdout.on('error', stop); // `| head` closed the pipe
    await s.ended;
    return EXIT.ok;
  } catch (e) {
    return reportFailure(e);
  }
}
