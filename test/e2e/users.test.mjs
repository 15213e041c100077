// Users and security profiles through the official @aws-sdk/client-connect:
// the SDK's routes and shapes for CreateUser, DescribeUser, ListUsers, the
// UpdateUser* operations, DeleteUser and the security profile operations,
// with the exceptions the SDK maps.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import {
  CreateUserCommand,
  DescribeUserCommand,
  ListUsersCommand,
  UpdateUserRoutingProfileCommand,
  UpdateUserSecurityProfilesCommand,
  UpdateUserPhoneConfigCommand,
  UpdateUserIdentityInfoCommand,
  DeleteUserCommand,
  CreateSecurityProfileCommand,
  DescribeSecurityProfileCommand,
  ListSecurityProfilesCommand,
  ListSecurityProfilePermissionsCommand,
  UpdateSecurityProfileCommand,
  DeleteSecurityProfileCommand,
} from '@aws-sdk/client-connect';
import { config, connectClient, expectError } from './lib/parley.mjs';

const { bootstrap } = config();
const InstanceId = bootstrap.instanceId;
const connect = connectClient();

// The built-in security profiles, the same in every instance.
const ADMIN = '00000000-0000-4000-a000-000000000001';
const AGENT = '00000000-0000-4000-a000-000000000003';

// Every response body as the server sent it, to check what the SDK would
// drop silently. The middleware sits inside the deserializer, so it sees
// the raw HTTP response.
const rawBodies = [];
connect.middlewareStack.add(
  (next) => async (args) => {
    const out = await next(args);
    const chunks = [];
    for await (const c of out.response.body) chunks.push(Buffer.from(c));
    const buf = Buffer.concat(chunks);
    rawBodies.push(buf.toString('utf8'));
    out.response.body = Readable.from([buf]);
    return out;
  },
  { step: 'deserialize', priority: 'low', name: 'keepRawBody' },
);

/** A username no other test file or run uses. */
const unique = (prefix) => `${prefix}-${randomBytes(4).toString('hex')}`;

function userInput(Username, extra = {}) {
  return {
    InstanceId,
    Username,
    Password: 'Secret123',
    RoutingProfileId: bootstrap.routingProfileId,
    SecurityProfileIds: [AGENT],
    PhoneConfig: { PhoneType: 'SOFT_PHONE', AfterContactWorkTimeLimit: 0 },
    ...extra,
  };
}

const describeUser = (UserId) => connect.send(new DescribeUserCommand({ InstanceId, UserId }));

test('CreateUser and DescribeUser, never with a password hash', async () => {
  const name = unique('ada');
  const created = await connect.send(
    new CreateUserCommand(
      userInput(name, {
        IdentityInfo: { FirstName: 'Ada', LastName: 'Lovelace', Email: 'ada@example.com' },
        PhoneConfig: { PhoneType: 'SOFT_PHONE', AutoAccept: true, AfterContactWorkTimeLimit: 30 },
        Tags: { team: 'blue' },
      }),
    ),
  );
  assert.ok(created.UserId, `CreateUser: no UserId in ${JSON.stringify(created)}`);
  assert.equal(created.UserArn, `arn:aws:connect:${bootstrap.region}:000000000000:instance/${InstanceId}/agent/${created.UserId}`);

  rawBodies.length = 0;
  const { User } = await describeUser(created.UserId);
  assert.equal(User.Id, created.UserId);
  assert.equal(User.Arn, created.UserArn);
  assert.equal(User.Username, name);
  assert.deepEqual(User.IdentityInfo, { FirstName: 'Ada', LastName: 'Lovelace', Email: 'ada@example.com' });
  assert.deepEqual(User.PhoneConfig, { PhoneType: 'SOFT_PHONE', AutoAccept: true, AfterContactWorkTimeLimit: 30 });
  assert.deepEqual(User.SecurityProfileIds, [AGENT]);
  assert.equal(User.RoutingProfileId, bootstrap.routingProfileId);
  assert.deepEqual(User.Tags, { team: 'blue' });
  assert.ok(User.LastModifiedTime instanceof Date, `LastModifiedTime: ${User.LastModifiedTime}`);
  assert.ok(Math.abs(User.LastModifiedTime.getTime() - Date.now()) < 60_000, `LastModifiedTime: ${User.LastModifiedTime}`);
  assert.equal(User.LastModifiedRegion, bootstrap.region);
  assert.equal(rawBodies.length, 1);
  assert.doesNotMatch(rawBodies[0], /PasswordHash|argon2|Secret123/i, `DescribeUser body: ${rawBodies[0]}`);

  // By ARN too.
  const byArn = await describeUser(created.UserArn);
  assert.equal(byArn.User.Id, created.UserId);
});

test('CreateUser refuses a taken username, a weak password and unknown references', async () => {
  const name = unique('dup');
  await connect.send(new CreateUserCommand(userInput(name)));
  await expectError(connect.send(new CreateUserCommand(userInput(name))), 'DuplicateResourceException', 409, 'duplicate username');
  for (const Password of ['short1A', 'alllowercase1', 'NoDigitsHere', 'ALLUPPER123']) {
    await expectError(
      connect.send(new CreateUserCommand(userInput(unique('weak'), { Password }))),
      'InvalidParameterException',
      400,
      `weak password ${Password}`,
    );
  }
  await expectError(
    connect.send(new CreateUserCommand(userInput(unique('rp'), { RoutingProfileId: '11111111-2222-3333-4444-555555555555' }))),
    'ResourceNotFoundException',
    404,
    'unknown routing profile',
  );
  await expectError(
    connect.send(new CreateUserCommand(userInput(unique('sp'), { SecurityProfileIds: ['11111111-2222-3333-4444-555555555555'] }))),
    'ResourceNotFoundException',
    404,
    'unknown security profile',
  );
});

test('ListUsers pages through every user once, by username', async () => {
  const prefix = unique('page');
  const mine = [`${prefix}-c`, `${prefix}-a`, `${prefix}-b`];
  for (const name of mine) await connect.send(new CreateUserCommand(userInput(name)));

  const seen = [];
  let NextToken;
  let pages = 0;
  do {
    const out = await connect.send(new ListUsersCommand({ InstanceId, MaxResults: 2, NextToken }));
    assert.ok(out.UserSummaryList.length <= 2, `page of ${out.UserSummaryList.length}`);
    for (const u of out.UserSummaryList) {
      assert.ok(u.Id && u.Arn && u.Username, `summary: ${JSON.stringify(u)}`);
      assert.ok(u.LastModifiedTime instanceof Date);
      seen.push(u.Username);
    }
    NextToken = out.NextToken;
    assert.ok(++pages < 1000, 'ListUsers does not end');
  } while (NextToken);

  assert.deepEqual(seen, [...seen].sort(), 'usernames in order');
  assert.equal(new Set(seen).size, seen.length, `a username came twice: ${seen}`);
  assert.ok(seen.includes(bootstrap.adminUsername), `the bootstrap admin is missing from ${seen}`);
  assert.deepEqual(
    seen.filter((n) => n.startsWith(prefix)),
    [...mine].sort(),
  );

  await expectError(
    connect.send(new ListUsersCommand({ InstanceId, NextToken: 'not-a-token' })),
    'InvalidParameterException',
    400,
    'invalid NextToken',
  );
});

test('UpdateUser* change the user', async () => {
  const { UserId } = await connect.send(new CreateUserCommand(userInput(unique('upd'))));
  await connect.send(new UpdateUserRoutingProfileCommand({ InstanceId, UserId, RoutingProfileId: bootstrap.routingProfileId }));
  await expectError(
    connect.send(new UpdateUserRoutingProfileCommand({ InstanceId, UserId, RoutingProfileId: '11111111-2222-3333-4444-555555555555' })),
    'ResourceNotFoundException',
    404,
    'UpdateUserRoutingProfile to an unknown profile',
  );
  await connect.send(
    new UpdateUserPhoneConfigCommand({
      InstanceId,
      UserId,
      PhoneConfig: { PhoneType: 'DESK_PHONE', DeskPhoneNumber: '+12065550100', AfterContactWorkTimeLimit: 45 },
    }),
  );
  await connect.send(new UpdateUserIdentityInfoCommand({ InstanceId, UserId, IdentityInfo: { FirstName: 'Grace' } }));
  await connect.send(new UpdateUserSecurityProfilesCommand({ InstanceId, UserId, SecurityProfileIds: [AGENT, ADMIN] }));

  const { User } = await describeUser(UserId);
  assert.equal(User.RoutingProfileId, bootstrap.routingProfileId);
  assert.deepEqual(User.PhoneConfig, { PhoneType: 'DESK_PHONE', DeskPhoneNumber: '+12065550100', AutoAccept: false, AfterContactWorkTimeLimit: 45 });
  assert.deepEqual(User.IdentityInfo, { FirstName: 'Grace' });
  assert.deepEqual(User.SecurityProfileIds, [AGENT, ADMIN]);
});

test('security profiles: built-ins, create, describe, permissions, update, in use, delete', async () => {
  const SecurityProfileName = unique('Supervisors');
  const created = await connect.send(
    new CreateSecurityProfileCommand({
      InstanceId,
      SecurityProfileName,
      Description: 'Monitor chats',
      Permissions: ['ManagerListenIn', 'BasicAgentAccess'],
      Tags: { team: 'blue' },
    }),
  );
  const SecurityProfileId = created.SecurityProfileId;
  assert.ok(SecurityProfileId, `CreateSecurityProfile: ${JSON.stringify(created)}`);
  assert.equal(created.SecurityProfileArn, `arn:aws:connect:${bootstrap.region}:000000000000:instance/${InstanceId}/security-profile/${SecurityProfileId}`);

  await expectError(
    connect.send(new CreateSecurityProfileCommand({ InstanceId, SecurityProfileName })),
    'DuplicateResourceException',
    409,
    'duplicate security profile name',
  );
  await expectError(
    connect.send(new CreateSecurityProfileCommand({ InstanceId, SecurityProfileName: unique('Bad'), Permissions: ['FlyToTheMoon'] })),
    'InvalidParameterException',
    400,
    'unknown permission',
  );

  const names = [];
  let NextToken;
  do {
    const out = await connect.send(new ListSecurityProfilesCommand({ InstanceId, NextToken }));
    for (const p of out.SecurityProfileSummaryList) names.push(p.Name);
    NextToken = out.NextToken;
  } while (NextToken);
  for (const builtin of ['Admin', 'CallCenterManager', 'Agent', SecurityProfileName]) {
    assert.ok(names.includes(builtin), `ListSecurityProfiles: ${builtin} missing from ${names}`);
  }

  const { SecurityProfile } = await connect.send(new DescribeSecurityProfileCommand({ InstanceId, SecurityProfileId }));
  assert.equal(SecurityProfile.Id, SecurityProfileId);
  assert.equal(SecurityProfile.SecurityProfileName, SecurityProfileName);
  assert.equal(SecurityProfile.Description, 'Monitor chats');
  assert.deepEqual(SecurityProfile.Tags, { team: 'blue' });

  const perms = await connect.send(new ListSecurityProfilePermissionsCommand({ InstanceId, SecurityProfileId }));
  assert.deepEqual(perms.Permissions, ['BasicAgentAccess', 'ManagerListenIn']);
  const admin = await connect.send(new ListSecurityProfilePermissionsCommand({ InstanceId, SecurityProfileId: ADMIN }));
  assert.ok(admin.Permissions.includes('BasicAgentAccess') && admin.Permissions.includes('SecurityProfiles.Edit'), `Admin: ${admin.Permissions}`);

  await connect.send(new UpdateSecurityProfileCommand({ InstanceId, SecurityProfileId, Permissions: ['ManagerBargeIn', 'ManagerListenIn'] }));
  const updated = await connect.send(new ListSecurityProfilePermissionsCommand({ InstanceId, SecurityProfileId }));
  assert.deepEqual(updated.Permissions, ['ManagerBargeIn', 'ManagerListenIn']);
  await expectError(
    connect.send(new UpdateSecurityProfileCommand({ InstanceId, SecurityProfileId: AGENT, Description: 'mine now' })),
    'InvalidRequestException',
    400,
    'updating a built-in profile',
  );
  await expectError(
    connect.send(new DeleteSecurityProfileCommand({ InstanceId, SecurityProfileId: ADMIN })),
    'InvalidRequestException',
    400,
    'deleting a built-in profile',
  );

  const { UserId } = await connect.send(new CreateUserCommand(userInput(unique('sup'), { SecurityProfileIds: [SecurityProfileId, AGENT] })));
  await expectError(
    connect.send(new DeleteSecurityProfileCommand({ InstanceId, SecurityProfileId })),
    'ResourceInUseException',
    409,
    'deleting a profile a user has',
  );
  await connect.send(new DeleteUserCommand({ InstanceId, UserId }));
  await connect.send(new DeleteSecurityProfileCommand({ InstanceId, SecurityProfileId }));
  await expectError(
    connect.send(new DescribeSecurityProfileCommand({ InstanceId, SecurityProfileId })),
    'ResourceNotFoundException',
    404,
    'DescribeSecurityProfile after delete',
  );
});

test('DeleteUser removes the user', async () => {
  const { UserId } = await connect.send(new CreateUserCommand(userInput(unique('gone'))));
  await connect.send(new DeleteUserCommand({ InstanceId, UserId }));
  await expectError(describeUser(UserId), 'ResourceNotFoundException', 404, 'DescribeUser after delete');
  await expectError(connect.send(new DeleteUserCommand({ InstanceId, UserId })), 'ResourceNotFoundException', 404, 'DeleteUser twice');
});
