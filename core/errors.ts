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
