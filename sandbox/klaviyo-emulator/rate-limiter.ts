import type { RateLimitWindow } from './spec';

export interface RateLimitDecision {
  allowed: boolean;
  /** Of the window closest to its limit: what the RateLimit-* headers report. */
  limit: number;
  remaining: number;
  resetSeconds: number;
}

interface WindowState {
  startedAt: number;
  count: number;
}

/**
 * Fixed windows per operation, one per `x-klaviyo-ratelimit` entry (burst per second, steady
 * per minute). `speed` multiplies the allowed counts: 10 lets ten times as many requests
 * through each window; 0 turns limiting off.
 */
export class RateLimiter {
  private readonly windows = new Map<string, WindowState[]>();

  constructor(public speed: number) {}

  take(operationId: string, limits: RateLimitWindow[], now: number): RateLimitDecision | undefined {
    if (this.speed <= 0 || limits.length === 0) return undefined;
    const states = this.windows.get(operationId) ?? limits.map(() => ({ startedAt: now, count: 0 }));
    this.windows.set(operationId, states);
    const views = limits.map((window, index) => {
      const state = states[index];
      if (now - state.startedAt >= window.windowMs) Object.assign(state, { startedAt: now, count: 0 });
      const limit = Math.max(1, Math.floor(window.limit * this.speed));
      const resetSeconds = Math.max(1, Math.ceil((state.startedAt + window.windowMs - now) / 1000));
      return { state, limit, resetSeconds };
    });
    const exhausted = views.filter((view) => view.state.count >= view.limit);
    if (exhausted.length > 0) {
      const longest = exhausted.reduce((a, b) => (b.resetSeconds > a.resetSeconds ? b : a));
      return { allowed: false, limit: longest.limit, remaining: 0, resetSeconds: longest.resetSeconds };
    }
    for (const view of views) view.state.count++;
    const tightest = views.reduce((a, b) => (b.limit - b.state.count < a.limit - a.state.count ? b : a));
    return {
      allowed: true,
      limit: tightest.limit,
      remaining: tightest.limit - tightest.state.count,
      resetSeconds: tightest.resetSeconds,
    };
  }

  reset(): void {
    this.windows.clear();
  }
}
