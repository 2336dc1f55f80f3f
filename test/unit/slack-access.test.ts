import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { allowedProfiles, canSee, isAdminOf, mayRunProfile, parseSlackAccess, refusalMessage, SlackAccessConfigError } from '#lib/slack/access.ts';

const ALICE = { team: 'T0TEAM', channel: 'C0DEPLOY', user: 'U0ALICE' };

describe('parseSlackAccess', () => {
  it('reads no setting, or a blank one, as no rules: nobody may run anything', () => {
    // Act and assess
    assert.deepEqual(parseSlackAccess(undefined), []);
    assert.deepEqual(parseSlackAccess('  '), []);
    assert.equal(mayRunProfile(parseSlackAccess(undefined), ALICE, 'default'), false);
  });

  it('reads well-formed rules', () => {
    // Act
    const rules = parseSlackAccess('[{"team":"T0TEAM","profiles":["default"]},{"user":"U0ADMIN","profiles":["*"],"admin":true}]');

    // Assess
    assert.deepEqual(rules, [
      { team: 'T0TEAM', profiles: ['default'] },
      { user: 'U0ADMIN', profiles: ['*'], admin: true },
    ]);
  });

  it('names the rule, counting from 1, and its content when a rule has no profiles list', () => {
    // Act and assess
    assert.throws(
      () => parseSlackAccess('[{"team":"T0TEAM","profiles":["default"]},{"user":"U1"}]'),
      (error: unknown) => {
        assert.ok(error instanceof SlackAccessConfigError);
        assert.equal(error.name, 'SlackAccessConfigError');
        assert.equal(error.message, 'SLACK_ACCESS rule 2 ({"user":"U1"}) has no "profiles" list');
        return true;
      },
    );
  });

  it('refuses JSON that does not parse, keeping the parser error as the cause', () => {
    // Act and assess
    assert.throws(() => parseSlackAccess('[{"profiles":["a"]'), (error: unknown) => {
      assert.ok(error instanceof SlackAccessConfigError);
      assert.match(error.message, /^SLACK_ACCESS is not valid JSON/);
      assert.ok(error.cause instanceof SyntaxError);
      return true;
    });
  });

  it('refuses a setting that is not an array', () => {
    // Act and assess
    assert.throws(() => parseSlackAccess('{"profiles":["a"]}'), /SLACK_ACCESS must be a JSON array of rules/);
  });

  it('refuses each kind of malformed rule with a message saying what is wrong', () => {
    // Prepare
    const cases: Array<[string, RegExp]> = [
      ['["default"]', /rule 1 \("default"\) is not an object/],
      ['[{"profiles":["a"],"users":"U1"}]', /rule 1 .* has an unknown field "users"/],
      ['[{"profiles":[]}]', /has an empty "profiles" list/],
      ['[{"profiles":"default"}]', /has a "profiles" that is not a list/],
      ['[{"profiles":["a",""]}]', /has a "profiles" entry that is not a non-empty string/],
      ['[{"profiles":["a"],"admin":"yes"}]', /has an "admin" that is not true or false/],
      ['[{"profiles":["a"],"channel":"#general"}]', /has a "channel" that is not a Slack id \(such as C0123ABCD\)/],
      ['[{"profiles":["a"],"user":"*"}]', /leave "user" out to match any user/],
    ];

    // Act and assess
    for (const [json, message] of cases) assert.throws(() => parseSlackAccess(json), message, json);
  });
});

describe('allowedProfiles', () => {
  const rules = parseSlackAccess(
    JSON.stringify([
      { team: 'T0TEAM', profiles: ['default'] },
      { team: 'T0TEAM', channel: 'C0DEPLOY', profiles: ['deploy'] },
      { user: 'U0ALICE', profiles: ['build', 'default'] },
      { team: 'T0OTHER', profiles: ['*'], admin: true },
    ]),
  );

  it('unites the profiles of every rule whose given fields all match', () => {
    // Act
    const { profiles } = allowedProfiles(rules, ALICE);

    // Assess
    assert.deepEqual(profiles, new Set(['default', 'deploy', 'build']));
    assert.equal(isAdminOf(rules, ALICE, 'default'), false);
  });

  it('ignores a rule when any one of its fields differs', () => {
    // Act
    const { profiles } = allowedProfiles(rules, { team: 'T0TEAM', channel: 'C0RANDOM', user: 'U0BOB' });

    // Assess
    assert.deepEqual(profiles, new Set(['default']));
  });

  it('gives every profile and admin rights where a matching rule says * and admin', () => {
    // Act
    const permissions = allowedProfiles(rules, { team: 'T0OTHER', channel: 'C0X', user: 'U0X' });

    // Assess
    assert.deepEqual(permissions, { profiles: '*' });
    assert.equal(isAdminOf(rules, { team: 'T0OTHER', channel: 'C0X', user: 'U0X' }, 'deploy'), true);
  });

  it('gives nothing to a request no rule matches', () => {
    // Act
    const permissions = allowedProfiles(rules, { team: 'T0STRANGER', channel: 'C0X', user: 'U0X' });

    // Assess
    assert.deepEqual(permissions, { profiles: new Set() });
  });
});

describe('mayRunProfile', () => {
  it('allows a listed profile, or any with *, and nothing else', () => {
    // Prepare
    const rules = parseSlackAccess('[{"channel":"C0DEPLOY","profiles":["deploy"]},{"user":"U0ROOT","profiles":["*"]}]');

    // Act and assess
    assert.equal(mayRunProfile(rules, ALICE, 'deploy'), true);
    assert.equal(mayRunProfile(rules, ALICE, 'build'), false);
    assert.equal(mayRunProfile(rules, { ...ALICE, user: 'U0ROOT' }, 'build'), true);
  });
});

describe('isAdminOf', () => {
  it('makes an admin of the profiles its admin rule names, and of no other', () => {
    // Prepare: alice may run deploy and build, and administers deploy only.
    const rules = parseSlackAccess('[{"user":"U0ALICE","profiles":["deploy"],"admin":true},{"user":"U0ALICE","profiles":["build"]}]');

    // Act and assess
    assert.equal(isAdminOf(rules, ALICE, 'deploy'), true);
    assert.equal(isAdminOf(rules, ALICE, 'build'), false);
    assert.equal(isAdminOf(rules, { ...ALICE, user: 'U0BOB' }, 'deploy'), false);
  });
});

describe('canSee', () => {
  const rules = parseSlackAccess(
    JSON.stringify([
      { channel: 'C0DEPLOY', profiles: ['deploy'] },
      { channel: 'C0BUILD', profiles: ['build'] },
      { user: 'U0ADMIN', profiles: ['deploy'], admin: true },
    ]),
  );
  const fromSlack = { team: 'T0TEAM', channel: 'C0DEPLOY', user: 'U0CAROL' };

  it('shows a job submitted from Slack to whoever may use its profile in this channel', () => {
    // Act and assess
    assert.equal(canSee(rules, ALICE, { profile: 'deploy', slack: fromSlack }), true);
    assert.equal(canSee(rules, { ...ALICE, channel: 'C0BUILD' }, { profile: 'deploy', slack: fromSlack }), false);
    assert.equal(canSee(rules, { ...ALICE, channel: 'C0RANDOM' }, { profile: 'deploy', slack: fromSlack }), false);
  });

  it('shows a job submitted through the API only to an admin of its profile', () => {
    // Act and assess
    assert.equal(canSee(rules, ALICE, { profile: 'deploy' }), false);
    assert.equal(canSee(rules, { ...ALICE, user: 'U0ADMIN' }, { profile: 'deploy' }), true);
  });

  it('gives an admin of one profile nothing of another', () => {
    // Prepare
    const admin = { ...ALICE, channel: 'C0RANDOM', user: 'U0ADMIN' };

    // Act and assess
    assert.equal(canSee(rules, admin, { profile: 'build', slack: fromSlack }), false);
    assert.equal(canSee(rules, admin, { profile: 'build' }), false);
  });
});

describe('refusalMessage', () => {
  it('names the profile, the admins of this workspace to ask, and the ids a rule would need', () => {
    // Prepare
    const rules = parseSlackAccess(
      JSON.stringify([
        { team: 'T0TEAM', profiles: ['default'] },
        { team: 'T0TEAM', user: 'U0ADMIN', profiles: ['*'], admin: true },
        { team: 'T0OTHER', user: 'U0ELSEWHERE', profiles: ['*'], admin: true },
      ]),
    );

    // Act
    const message = refusalMessage('build', ALICE, rules);

    // Assess
    assert.match(message, /^You may not run profile 'build' here\./);
    assert.match(message, /Here you may run: `default`\./);
    assert.match(message, /ask a fargate-jobs admin \(<@U0ADMIN>\) to add a SLACK_ACCESS rule for you/);
    assert.doesNotMatch(message, /U0ELSEWHERE/);
    assert.match(message, /team T0TEAM, channel C0DEPLOY, user U0ALICE/);
  });

  it('asks for an admin of the workspace when no rule names one, and escapes the profile', () => {
    // Act
    const message = refusalMessage('<!channel>', ALICE, []);

    // Assess
    assert.match(message, /You may not run profile '&lt;!channel&gt;' here\./);
    assert.match(message, /ask a fargate-jobs admin of this workspace to add a SLACK_ACCESS rule/);
    assert.doesNotMatch(message, /Here you may run/);
  });
});
