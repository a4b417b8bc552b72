import { readFileSync } from 'node:fs';
import {
  buildCollection,
  buildEnvironment,
  collectionPath,
  environmentPath,
  formatted,
  loadDescription,
} from '../../../postman/build-collection';

describe('the Postman collection', () => {
  it('is the one docs/openapi.yaml builds: run `npm run postman` after changing the description', () => {
    expect(readFileSync(collectionPath, 'utf8')).toBe(formatted(buildCollection(loadDescription())));
    expect(readFileSync(environmentPath, 'utf8')).toBe(formatted(buildEnvironment()));
  });

  it('refuses to build a step whose status the description does not list', () => {
    const description = loadDescription();
    delete description.paths['/healthz'].get.responses['200'];
    expect(() => buildCollection(description)).toThrow('Liveness: liveness does not describe 200');
  });
});
