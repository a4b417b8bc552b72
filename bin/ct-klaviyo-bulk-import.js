#!/usr/bin/env node
'use strict';
// The CLI's entry for `npx ct-klaviyo-bulk-import` and `npm run import`. In a checkout (sources and
// the tsx devDependency present) it runs the TypeScript sources, so it never runs a build older than
// the code; where only the compiled build is (the Docker image), it runs dist/.
const { existsSync } = require('node:fs');
const path = require('node:path');

const root = path.join(__dirname, '..');
const sources = path.join(root, 'src', 'cli', 'main.ts');
const compiled = path.join(root, 'dist', 'cli', 'main.js');

function hasTsx() {
  try {
    require.resolve('tsx/cjs/api', { paths: [root] });
    return true;
  } catch {
    return false;
  }
}

if (existsSync(sources) && hasTsx()) {
  require(require.resolve('tsx/cjs/api', { paths: [root] })).register();
  require(sources);
} else if (existsSync(compiled)) {
  require(compiled);
} else {
  process.stderr.write('Neither the sources with tsx (npm ci) nor a build (npm run build) are here.\n');
  process.exit(1);
}
