/** The README's typed-API worked example: a new path and a hypothetical recheck change the verdict. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { run } from '../examples/typed-api.js';
import { PATCHES, PATHS } from '../src/api.js';

test('typed API: my_gup_one races khugepaged on arm64 v5.19; +my-pmd-recheck closes it', () => {
  assert.ok(PATHS.has('my_gup_one'));
  assert.equal(PATCHES['my-pmd-recheck'].release, 'proposal');
  assert.deepEqual(run(), { without: 'violated', with: 'verified' });
});
