import { createHash, timingSafeEqual } from 'node:crypto';
import type { RequestHandler } from 'express';

/**
 * Requires `Authorization: Bearer <key>`; the scheme's case does not matter (RFC 9110). Both sides
 * are hashed first so the comparison takes the same time whatever the length or content of the guess.
 */
export function requireApiKey(apiKey: string): RequestHandler {
  const expected = digest(apiKey);
  return (request, response, next) => {
    const header = request.get('authorization') ?? '';
    const match = /^bearer +(\S+) *$/i.exec(header);
    if (match && timingSafeEqual(digest(match[1]), expected)) return next();
    response
      .status(401)
      .set('WWW-Authenticate', 'Bearer')
      .json({ error: 'unauthorized', message: 'Send Authorization: Bearer <BULK_IMPORT_API_KEY>.' });
  };
}

function digest(value: string): Buffer {
  return createHash('sha256').update(value).digest();
}
