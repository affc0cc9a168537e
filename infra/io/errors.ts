/** How the CLIs print an error: one clear message, never a stack trace unless asked for. */

/** Errors whose message is written for the user (file, key path, expected, found). */
const USER_ERRORS = new Set(["ValidationError", "OutputError", "ToolError"]);

/** `error: <message>`; an unexpected error says how to see its stack trace (TRADEMASTER_DEBUG=1). */
export function formatError(e: unknown): string {
  if (e instanceof Error && USER_ERRORS.has(e.name)) return `error: ${e.message}`;
  if (process.env.TRADEMASTER_DEBUG === "1" && e instanceof Error && e.stack) return `error: ${e.stack}`;
  const message = e instanceof Error ? e.message : String(e);
  return `error: ${message}\n(an unexpected error: set TRADEMASTER_DEBUG=1 for its stack trace)`;
}
