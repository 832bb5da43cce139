/**
 * Errors caused by what a user gave us (a flag, a config, a file, a request body).
 * The CLI prints `message` alone and exits with `exitCode`; the server answers 4xx JSON.
 * Anything that is not a UserError is a bug and keeps its stack trace.
 */
export class UserError extends Error {
  override readonly name: string = 'UserError';
  /** A dotted path to the offending key or flag, when there is one. */
  readonly path: string | undefined;
  readonly exitCode: number;
  constructor(message: string, options: { path?: string; exitCode?: number; cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.path = options.path;
    this.exitCode = options.exitCode ?? 2;
  }
}

/** A config file or override that does not validate. */
export class ConfigError extends UserError {
  override readonly name = 'ConfigError';
}

/**
 * A plugin broke its contract (a malformed batch, a bad plan): not the user's input, and
 * not a bug of the toolkit. The CLI prints it in one line naming the plugin (exit 1); the
 * server answers that request alone with a 500 JSON and goes on serving.
 */
export class PluginError extends Error {
  override readonly name = 'PluginError';
  readonly plugin: string;
  constructor(plugin: string, message: string) {
    super(`plugin "${plugin}": ${message}`);
    this.plugin = plugin;
  }
}

/** The run was cancelled (client disconnect, timeout, SIGINT). */
export class AbortedError extends Error {
  override readonly name = 'AbortedError';
  constructor(reason = 'the run was cancelled') {
    super(reason);
  }
}

export function isUserError(error: unknown): error is UserError {
  return error instanceof UserError;
}

/** The first line of an error's message: what a one-line user error quotes from a library. */
export function firstLine(error: unknown): string {
  return (error instanceof Error ? error.message.split('\n')[0] : String(error)) ?? '';
}

/** Longest value quoted back in a message: a pasted image must not come back twice over. */
export const MAX_QUOTED = 60;

/**
 * Text quoted into a one-line message: line breaks and other control characters written
 * as escapes, so a value or a path that holds them cannot break the line in two.
 */
export function oneLine(text: string): string {
  return text.replace(/[\u0000-\u001f\u007f\u2028\u2029]/g, (c) => (c === '\n' ? '\\n' : c === '\t' ? '\\t' : c === '\r' ? '\\r' : `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`));
}

/** Text quoted into a message: on one line, and cut short (with its length) when long. */
export function quoteText(text: string, max = MAX_QUOTED): string {
  const line = oneLine(text);
  return line.length <= max ? line : `${line.slice(0, max)}… (${text.length} characters)`;
}
