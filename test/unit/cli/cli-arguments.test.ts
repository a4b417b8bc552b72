import { parseCliArguments, UsageError } from '../../../src/cli/cli-arguments';

describe('CLI arguments', () => {
  it('runs every import in dependency order for "all", each as a full run', () => {
    const command = parseCliArguments(['import', 'all']);
    expect(command).toEqual({
      help: false,
      types: ['categories', 'products', 'customers', 'orders'],
      requests: {
        categories: { mode: 'all' },
        products: { mode: 'all' },
        customers: { mode: 'all' },
        orders: { mode: 'all' },
      },
    });
  });

  it('takes ids as a comma-separated list, repeatable, checked like the HTTP body', () => {
    expect(parseCliArguments(['import', 'orders', '--ids', 'a, b', '--ids', 'c'])).toEqual({
      help: false,
      types: ['orders'],
      requests: { orders: { mode: 'ids', ids: ['a', 'b', 'c'] } },
    });
  });

  it('turns --resume into a resume request', () => {
    expect(parseCliArguments(['import', 'customers', '--resume'])).toMatchObject({
      requests: { customers: { mode: 'resume' } },
    });
  });

  it('refuses what the HTTP API refuses, naming the option and the import', () => {
    expect(() => parseCliArguments(['import', 'all', '--ids', 'a'])).toThrow(
      new UsageError('The categories import does not take these options: --ids is not a known field.'),
    );
    expect(() => parseCliArguments(['import', 'customers', '--ids', 'a"b'])).toThrow(/--ids must not contain quotes/);
    expect(() => parseCliArguments(['import', 'orders', '--ids', 'a', '--resume'])).toThrow(
      /--resume cannot be combined with ids/,
    );
  });

  it.each([
    [[], 'No command given.'],
    [['export', 'all'], 'Unknown command "export".'],
    [['import'], 'Name the import: customers, orders, categories, products or all.'],
    [['import', 'profiles'], 'Unknown import "profiles"; use customers, orders, categories, products or all.'],
    [['import', 'orders', 'customers'], 'Unexpected argument "customers".'],
  ])('refuses %j: %s', (args, message) => {
    expect(() => parseCliArguments(args)).toThrow(new UsageError(message));
  });

  it('refuses options it does not know and options without their value', () => {
    expect(() => parseCliArguments(['import', 'all', '--dry'])).toThrow(UsageError);
    expect(() => parseCliArguments(['import', 'orders', '--ids'])).toThrow(UsageError);
  });

  it('answers --help without needing a command', () => {
    expect(parseCliArguments(['--help'])).toEqual({ help: true });
    expect(parseCliArguments(['-h'])).toEqual({ help: true });
  });
});
