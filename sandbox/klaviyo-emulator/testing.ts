/** Helpers for tests that drive the emulator over HTTP (in-process). */
import { startKlaviyoEmulator, type KlaviyoEmulator, type KlaviyoEmulatorOptions } from './index';

export const API_KEY = 'pk_emulator_test';
export const REVISION = '2026-07-15';

export interface EmulatorClient {
  emulator: KlaviyoEmulator;
  /** fetch against the emulator with Klaviyo's headers unless overridden; parses JSON answers as the caller expects them. */
  request<T = unknown>(
    path: string,
    init?: { method?: string; body?: unknown; headers?: Record<string, string> },
  ): Promise<{ status: number; headers: Headers; body: T }>;
}

export async function startTestEmulator(options: KlaviyoEmulatorOptions = {}): Promise<EmulatorClient> {
  const emulator = await startKlaviyoEmulator({ apiKey: API_KEY, jobProcessingMs: 20, rateLimitSpeed: 0, ...options });
  return {
    emulator,
    async request<T>(path: string, init: { method?: string; body?: unknown; headers?: Record<string, string> } = {}) {
      const headers = {
        Authorization: `Klaviyo-API-Key ${API_KEY}`,
        revision: REVISION,
        'Content-Type': 'application/vnd.api+json',
        ...init.headers,
      };
      const response = await fetch(emulator.url + path, {
        method: init.method ?? (init.body === undefined ? 'GET' : 'POST'),
        headers: Object.fromEntries(Object.entries(headers).filter(([, value]) => value !== '')),
        body:
          init.body === undefined ? undefined : typeof init.body === 'string' ? init.body : JSON.stringify(init.body),
      });
      const text = await response.text();
      return { status: response.status, headers: response.headers, body: (text ? JSON.parse(text) : undefined) as T };
    },
  };
}

/** Polls until `probe` returns a value (bulk jobs finish on timers). */
export async function eventually<T>(probe: () => Promise<T | undefined>, timeoutMs = 5000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error('condition not reached in time');
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}
