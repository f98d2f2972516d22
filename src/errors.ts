// What went wrong, as text, whatever was thrown (an Error, or anything else a library threw).
export function errorMessage(error: unknown): string {
  if (error instanceof Error) return error.message
  return typeof error === 'string' ? error : String(error)
}
