/**
 * The engine's stdout and stderr as log lines for the output channel. The streams arrive in chunks that can end in
 * the middle of a line (and onnxruntime writes from native threads), and a log channel stamps each entry with the
 * time it gets it: so each stream is cut into whole lines first, each line one entry, and onnxruntime's native lines
 * ("2026-12-07 17:27:29.013456789 [W:onnxruntime:, session_state.cc:1166 VerifyEachNodeIsAssignedToAnEp] Some
 * nodes ...") lose their own timestamp, written in another clock's format beside the channel's, and take their level
 * from their severity letter.
 */
export type EngineOutputLevel = 'trace' | 'info' | 'warn' | 'error';

export interface EngineOutputLine {
  level: EngineOutputLevel;
  message: string;
}

/** A stream's chunks in, whole lines out (without their line break); `end` gives a last line with no break. */
export function lineSplitter(onLine: (line: string) => void): { push(chunk: string): void; end(): void } {
  let partial = '';
  return {
    push(chunk) {
      const lines = (partial + chunk).split(/\r?\n/);
      partial = lines.pop()!;
      for (const line of lines) if (line.trim()) onLine(line);
    },
    end() {
      if (partial.trim()) onLine(partial);
      partial = '';
    },
  };
}

const NATIVE = /^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}(?:\.\d+)? \[([VIWEF]):onnxruntime:[^,\]]*,?\s*([^\]]*)\]\s*(.*)$/;

const ERROR = /unhandled rejection|^\s*(?:\w*Error\b|FATAL ERROR\b)|^\S*Error: /;

/**
 * Reads one stream's lines in order, each with the level it is logged at: onnxruntime's native lines by their
 * severity (V trace, I info, W warn, E and F error), an error's lines as errors, and an indented line (a stack
 * trace's "    at ...") at the level of the line before it, so a crash's whole trace shows at the error level.
 */
export function engineOutputReader(): (line: string) => EngineOutputLine {
  let previous: EngineOutputLevel = 'info';
  return (line) => {
    const native = NATIVE.exec(line);
    let out: EngineOutputLine;
    if (native) {
      const [, severity, where, message] = native;
      const level: EngineOutputLevel = severity === 'E' || severity === 'F' ? 'error' : severity === 'W' ? 'warn' : severity === 'V' ? 'trace' : 'info';
      out = { level, message: `onnxruntime: ${message}${where ? ` (${where.trim()})` : ''}` };
    } else {
      out = { level: ERROR.test(line) ? 'error' : /^\s/.test(line) ? previous : 'info', message: line };
    }
    previous = out.level;
    return out;
  };
}
