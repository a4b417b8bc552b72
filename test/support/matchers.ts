/**
 * Jest's asymmetric matchers typed as the matcher objects they are: Jest's global types declare
 * them `any`, which the rules against unsafe `any` rightly refuse inside an expected value.
 */
type Matcher = jest.AsymmetricMatcher;

/** Any instance of `type` (or value of that primitive type). */
export const anyOf = (type: unknown): Matcher => expect.any(type) as Matcher;
export const stringContaining = (text: string): Matcher => expect.stringContaining(text) as Matcher;
export const stringMatching = (pattern: string | RegExp): Matcher => expect.stringMatching(pattern) as Matcher;
