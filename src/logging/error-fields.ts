/**
 * Errors whose messages are written by code, never copied from data. Others may quote what they
 * failed on: a SyntaxError from JSON.parse shows a piece of its input, which can be an email.
 */
const messagesWithoutData = new Set(['TypeError', 'ReferenceError', 'RangeError', 'PlatformError']);

/** An unexpected error as log fields: its name, where it was thrown, and its message when that is safe. */
export function errorFields(error: unknown): { error: string; reason?: string; frames?: string[] } {
  if (!(error instanceof Error)) return { error: typeof error };
  const frames = error.stack
    ?.split('\n')
    .filter((line) => line.startsWith('    at '))
    .map((line) => line.trim());
  return {
    error: error.name,
    ...(messagesWithoutData.has(error.name) ? { reason: error.message } : {}),
    ...(frames && frames.length > 0 ? { frames } : {}),
  };
}
