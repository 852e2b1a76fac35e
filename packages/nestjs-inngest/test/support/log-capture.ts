import type { LoggerService } from '@nestjs/common';

export interface LogLine {
  level: 'log' | 'error' | 'warn' | 'debug' | 'verbose' | 'fatal';
  context: string | undefined;
  message: string;
}

/** A Nest logger that keeps every line, for tests of what the module logs. */
export class LogCapture implements LoggerService {
  readonly lines: LogLine[] = [];

  log(message: unknown, context?: string) {
    this.push('log', message, context);
  }
  error(message: unknown, _stack?: string, context?: string) {
    this.push('error', message, context);
  }
  warn(message: unknown, context?: string) {
    this.push('warn', message, context);
  }
  debug(message: unknown, context?: string) {
    this.push('debug', message, context);
  }
  verbose(message: unknown, context?: string) {
    this.push('verbose', message, context);
  }
  fatal(message: unknown, context?: string) {
    this.push('fatal', message, context);
  }

  /** The messages logged at `level` whose text contains `text`. */
  find(level: LogLine['level'], text: string): string[] {
    return this.lines
      .filter((line) => line.level === level && line.message.includes(text))
      .map((l) => l.message);
  }

  private push(level: LogLine['level'], message: unknown, context?: string) {
    this.lines.push({ level, context, message: String(message) });
  }
}
