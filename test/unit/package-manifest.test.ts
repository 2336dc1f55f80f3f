/**
 * What installing needs, as package.json tells npm: the Node the README asks for (npm warns
 * EBADENGINE about the project itself when `engines` asks for more than the machine has), while the
 * scripts run on the Node the project pins as a devDependency.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';

const manifest = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as {
  engines?: { node?: string };
  devDependencies?: Record<string, string>;
};
const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');

describe('package.json engines', () => {
  it('asks for the Node the README says installing needs, no newer', () => {
    // Prepare
    const stated = /Needs Node\.js (\d+) or newer/.exec(readme)?.[1];
    assert.ok(stated, 'the README says which Node installing needs');

    // Assess
    assert.equal(manifest.engines?.node, `>=${stated}`);
  });

  it('pins a Node for the scripts that is at least that one', () => {
    // Prepare
    const minimum = Number(/^>=(\d+)$/.exec(manifest.engines?.node ?? '')?.[1]);
    const pinned = Number(/^(\d+)\./.exec(manifest.devDependencies?.node ?? '')?.[1]);

    // Assess
    assert.ok(pinned >= minimum, `the node devDependency (${manifest.devDependencies?.node}) is older than engines (${manifest.engines?.node})`);
    assert.equal(Number(process.versions.node.split('.')[0]), pinned, 'the tests run on the pinned Node');
  });
});
