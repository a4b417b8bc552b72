import { encodeFailure, failuresPreamble } from '../../../src/http/failure-encoding';

const refused = {
  id: 'c-1',
  kind: 'failed' as const,
  reason: 'Klaviyo refused the profile: invalid "+1 555", not a phone\nnumber at /data/attributes/profiles/data/0',
  code: 'invalid',
  pointer: '/data/attributes/profiles/data/0',
};
const skipped = { id: 'o-7', kind: 'skipped' as const, reason: 'order has neither customerEmail nor customerId' };

describe('failure encoding', () => {
  it('writes JSON lines, one object per line, without the fields an entry lacks', () => {
    const lines = failuresPreamble('jsonl') + encodeFailure(refused, 'jsonl') + encodeFailure(skipped, 'jsonl');
    expect(lines.endsWith('\n')).toBe(true);
    expect(
      lines
        .trimEnd()
        .split('\n')
        .map((line) => JSON.parse(line) as unknown),
    ).toEqual([refused, skipped]);
    expect(encodeFailure(skipped, 'jsonl')).toBe(
      '{"id":"o-7","kind":"skipped","reason":"order has neither customerEmail nor customerId"}\n',
    );
  });

  it('writes CSV with a header row, quoting fields with quotes, commas or line breaks, and CRLF row ends', () => {
    expect(failuresPreamble('csv') + encodeFailure(refused, 'csv') + encodeFailure(skipped, 'csv')).toBe(
      'id,kind,reason,code,pointer\r\n' +
        'c-1,failed,"Klaviyo refused the profile: invalid ""+1 555"", not a phone\nnumber at /data/attributes/profiles/data/0",invalid,/data/attributes/profiles/data/0\r\n' +
        'o-7,skipped,order has neither customerEmail nor customerId,,\r\n',
    );
  });

  it('quotes a lone carriage return too', () => {
    expect(encodeFailure({ id: 'a', kind: 'failed', reason: 'x\ry' }, 'csv')).toBe('a,failed,"x\ry",,\r\n');
  });
});
