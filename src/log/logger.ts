import type { Secrets } from './secrets.ts';

export interface Logger {
  info(message: string): void;
  warn(message: string): void;
  debug(message: string): void;
}

/** Where log lines end up: the runner's log (with groups) or a terminal. */
export interface LogSink {
  line(text: string, level: 'info' | 'warn' | 'debug'): void;
  startGroup(title: string): void;
  endGroup(): void;
}

interface StageLog {
  id: string;
  title: string;
  lines: { text: string; level: 'info' | 'warn' | 'debug' }[];
  ended?: string;
}

/**
 * Keeps each stage's lines together although stages run in parallel: the earliest
 * running stage streams live inside its group; the others buffer until their turn.
 */
export class StageLogMux {
  private readonly logs: StageLog[] = [];
  private current: StageLog | undefined;

  private readonly sink: LogSink;
  private readonly secrets: Secrets;
  constructor(sink: LogSink, secrets: Secrets) {
    this.sink = sink;
    this.secrets = secrets;
  }

  /** A logger for pipeline-level messages, outside any stage group. */
  pipelineLogger(): Logger {
    const emit = (level: 'info' | 'warn' | 'debug') => (m: string) => {
      if (this.current) this.pending.push({ text: m, level });
      else this.sink.line(this.secrets.mask(m), level);
    };
    return { info: emit('info'), warn: emit('warn'), debug: emit('debug') };
  }

  private readonly pending: { text: string; level: 'info' | 'warn' | 'debug' }[] = [];

  startStage(id: string, title: string): Logger {
    const log: StageLog = { id, title, lines: [] };
    this.logs.push(log);
    if (!this.current) this.open(log);
    const emit = (level: 'info' | 'warn' | 'debug') => (m: string) => {
      for (const text of m.split('\n')) {
        if (this.current === log) this.sink.line(this.secrets.mask(text), level);
        else log.lines.push({ text, level });
      }
    };
    return { info: emit('info'), warn: emit('warn'), debug: emit('debug') };
  }

  endStage(id: string, closingLine: string): void {
    const log = this.logs.find((l) => l.id === id && !l.ended);
    if (!log) return;
    log.ended = closingLine;
    if (this.current !== log) return;
    this.close(log);
    // Flush stages that finished while this one streamed, then stream the next running one.
    for (;;) {
      const next = this.logs.find((l) => !this.done.has(l));
      if (!next) break;
      this.open(next);
      if (!next.ended) break;
      this.close(next);
    }
    if (!this.current) {
      for (const p of this.pending.splice(0)) this.sink.line(this.secrets.mask(p.text), p.level);
    }
  }

  private readonly done = new Set<StageLog>();

  private open(log: StageLog): void {
    this.current = log;
    this.sink.startGroup(this.secrets.mask(log.title));
    for (const l of log.lines.splice(0)) this.sink.line(this.secrets.mask(l.text), l.level);
  }

  private close(log: StageLog): void {
    this.sink.line(this.secrets.mask(log.ended!), 'info');
    this.sink.endGroup();
    this.done.add(log);
    this.current = undefined;
  }
}
