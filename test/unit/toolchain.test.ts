describe('toolchain', () => {
  it('runs the tests on Node 22 or newer, as the service requires', () => {
    const major = Number(process.versions.node.split('.')[0]);
    expect(major).toBeGreaterThanOrEqual(22);
  });
});
