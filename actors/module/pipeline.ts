// A module's pipeline actor: starts its sources (FIFOs, shared file and journal readers, stdin, the
// injector FIFO), parses and matches every batch right here, and sends the module only the batches
// that produced detections. Errors from sources become pipeline.failed (the module is restarted).
import path from 'node:path';
import { mkdirSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { fromCallback } from 'xstate';
import { FifoSource } from '../sources/fifo-source.js';
import { FileSource } from '../sources/file-source.js';
import { JournalSource, type JournalRecord, type RecordSink } from '../sources/journal-source.js';
import { StreamSource } from '../sources/stream-source.js';
import { JsonFileStore } from '../sources/stores.js';
import { Fanout, lineBroadcast, recordBroadcast } from '../sources/fanout.js';
import type { LineSink } from '../sources/source.js';
import type { Position } from '../sources/position.js';
import { parseJournalJson, type LogLine, type ParseContext } from '../../src/core/logline/index.js';
import type { Detection } from '../../src/core/logline/types.js';
import { detectLines, ParsedBatches, type DetectStats } from '../../src/core/module/detect.js';
import { lineParser, parserKind, refineWeb } from '../../src/core/module/line-parser.js';
import { traceBatch } from '../../src/core/module/trace.js';
import type { ModuleEvent } from '../../machines/module.js';
import type { ModuleRuntime } from './runtime.js';

/** The daemon's shared readers: one file or journal stream is read once for every module needing it. */
export interface SharedReaders {
  lines: Fanout<LineSink>;
  records: Fanout<RecordSink>;
  /** a fanned-out batch's headers, parsed by the first module to read it, for the others */
  parsed: ParsedBatches;
}

export function sharedReaders(): SharedReaders {
  return { lines: new Fanout<LineSink>(lineBroadcast), records: new Fanout<RecordSink>(recordBroadcast), parsed: new ParsedBatches() };
}

/** Per-module pipeline counters, for status and metrics. */
export interface PipelineStats extends DetectStats {
  sources: string[];
}

function parseContext(now: number): ParseContext {
  const d = new Date(now);
  return { year: d.getFullYear(), nowMs: now, tzOffsetMinutes: -d.getTimezoneOffset() };
}

/** Where a shared reader keeps its position (file) or cursor (journal) across restarts. */
function stateFile(runtime: ModuleRuntime, kind: string, id: string): string {
  const dir = path.join(runtime.config.state_dir, 'positions');
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const h = createHash('sha256').update(id).digest('hex').slice(0, 16);
  return path.join(dir, `${kind}-${h}.json`);
}

/** A line as the trace shows it: the raw text, or a journal record's message. */
function traceText(item: unknown): string {
  return typeof item === 'string' ? item : String((item as { MESSAGE?: unknown }).MESSAGE ?? JSON.stringify(item));
}

interface Closable {
  close(): Promise<void>;
}

export function pipelineLogic(readers: SharedReaders, statsOut: (s: PipelineStats) => void) {
  return fromCallback<ModuleEvent, { runtime: ModuleRuntime }>(({ input, sendBack, receive }) => {
    const rt = input.runtime;
    const m = rt.config.modules[rt.module];
    const stats: PipelineStats = { lines: 0, matched: 0, sources: [] };
    statsOut(stats);
    const open: Closable[] = [];
    let stopped = false;

    // detections of a burst's batches so far (see LineSink: a source reading a full buffer delivers
    // again at once): the module records a burst in one transaction, not one per batch
    let held: Detection[] = [];
    // kind: parserKind of parse; modules whose parsers share a kind parse a fanned-out batch once.
    // more: hold this batch's detections, the source's burst goes on
    const handle = <T>(items: readonly T[], kind: string, parse: (item: T, ctx: ParseContext) => LogLine | null, more = false) => {
      if (stopped) return;
      const now = Date.now();
      const ctx = parseContext(now);
      const before = held.length;
      detectLines(rt.detector, readers.parsed.get(items, kind, parse, ctx), now, held, stats);
      // extended detection tracing: one level check per batch, nothing more when not tracing
      if (rt.log.isLevelEnabled('trace')) for (const t of traceBatch(rt.detector, items, parse, ctx, held.slice(before), traceText)) rt.log.log('trace', t);
      if (more || held.length === 0) return;
      // Lines that match nothing never reach the module's mailbox.
      const out = held;
      held = [];
      sendBack({ type: 'affair.detected', detections: out });
    };
    const lineSink = (format: 'syslog' | 'access' | 'weberror' | 'auto'): LineSink => {
      const parse = lineParser(rt.module, format);
      const kind = parserKind(rt.module, format);
      return {
        onLines: (lines, more) => handle(lines, kind, parse, more),
        onNotice: (msg) => rt.log.info(msg),
        onError: (err) => sendBack({ type: 'pipeline.failed', error: err.message }),
      };
    };
    const defaultFormat = rt.module === 'WB' ? 'auto' : 'syslog';

    const start = async () => {
      for (const src of m.sources) {
        switch (src.type) {
          case 'fifo': {
            const s = new FifoSource({ path: src.path });
            await s.start(lineSink(src.format ?? defaultFormat));
            open.push({ close: () => s.stop() });
            stats.sources.push(s.id);
            break;
          }
          case 'file': {
            const id = `file:${path.resolve(src.path)}`;
            const positions = new JsonFileStore<Position>(stateFile(rt, 'file', id));
            open.push(await readers.lines.subscribe(id, () => new FileSource({ path: src.path, positions }), lineSink(src.format ?? defaultFormat)));
            stats.sources.push(id);
            break;
          }
          case 'journal': {
            const sel = {
              ...(src.units ? { units: [...src.units] } : {}),
              ...(src.identifiers ? { identifiers: [...src.identifiers] } : {}),
              ...(src.file ? { file: src.file } : {}),
              ...(src.directory ? { directory: src.directory } : {}),
            };
            const id = `journal:${JSON.stringify(sel)}`;
            const cursors = new JsonFileStore<string>(stateFile(rt, 'journal', id));
            const parse = (r: JournalRecord, ctx: ParseContext) =>
              rt.module === 'WB' ? refineWeb(parseJournalJson(r), ctx) : parseJournalJson(r);
            const sink: RecordSink = {
              onRecords: (records) => handle(records, rt.module === 'WB' ? 'web-journal' : 'journal', parse),
              onNotice: (msg) => rt.log.info(msg),
              onError: (err) => sendBack({ type: 'pipeline.failed', error: err.message }),
            };
            open.push(await readers.records.subscribe(id, () => new JournalSource({ ...sel, cursors }), sink));
            stats.sources.push(id);
            break;
          }
          case 'stdin': {
            const s = new StreamSource({ stream: process.stdin, id: 'stdin' });
            await s.start(lineSink(src.format ?? defaultFormat));
            open.push({ close: () => s.stop() });
            stats.sources.push('stdin');
            break;
          }
        }
      }
      if (m.inject_fifo) {
        const s = new FifoSource({ path: path.join(rt.config.run_dir, `${rt.module}.inject`) });
        await s.start(lineSink(defaultFormat));
        open.push({ close: () => s.stop() });
        stats.sources.push(s.id);
      }
      rt.log.info(`reading ${stats.sources.join(', ') || 'no source'}`);
    };
    start().catch((e: unknown) => sendBack({ type: 'pipeline.failed', error: e instanceof Error ? e.message : String(e) }));

    // Offender counters are written behind, about once a second (a crash loses at most that much
    // counting, never an affair or a ban); the timer covers idle periods between batches.
    const flushTimer = setInterval(() => {
      try {
        rt.db.flush();
      } catch (e) {
        rt.log.warn(`writing offenders failed, retried in a second: ${e instanceof Error ? e.message : String(e)}`);
      }
    }, 1000);
    flushTimer.unref();

    const injectParse = lineParser(rt.module, defaultFormat);
    const injectKind = parserKind(rt.module, defaultFormat);
    receive((ev) => {
      if (ev.type === 'lines.injected') handle(ev.lines, injectKind, injectParse);
    });

    return () => {
      stopped = true;
      clearInterval(flushTimer);
      // The module no longer records anything: its database can close now; readers stop in the background.
      rt.close();
      for (const c of open) c.close().catch((e: unknown) => rt.log.warn(`stopping a source: ${String(e)}`));
    };
  });
}
