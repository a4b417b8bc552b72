import { join } from 'node:path';
import express, { type RequestHandler } from 'express';

/** The page's HTML, CSS and JavaScript; `npm run build` copies them next to the compiled code. */
const pageDirectory = join(__dirname, 'status-page');

/**
 * GET / and its files: a page that shows the imports and drives them through the API. The page
 * itself needs no key; the API calls it makes do. It loads nothing from elsewhere, and the
 * policy says so.
 */
export function statusPage(): express.Router {
  const router = express.Router();
  const headers: RequestHandler = (_request, response, next) => {
    response.set({
      'Content-Security-Policy':
        "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self' data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
      'X-Content-Type-Options': 'nosniff',
      'Referrer-Policy': 'no-referrer',
    });
    next();
  };
  router.get('/', headers, (_request, response) => {
    response.sendFile(join(pageDirectory, 'index.html'));
  });
  router.use('/status-page', headers, express.static(pageDirectory, { index: false }));
  return router;
}
