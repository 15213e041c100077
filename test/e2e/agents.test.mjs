// Agents' real-time state and contact routing through the official
// @aws-sdk/client-connect: PutUserStatus, GetCurrentUserData,
// TransferContact, UpdateContactRoutingData and the routing fields of
// DescribeContact, parsed by the SDK itself.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import {
  CreateUserCommand,
  CreateQueueCommand,
  CreateHoursOfOperationCommand,
  CreateRoutingProfileCommand,
  PutUserStatusCommand,
  GetCurrentUserDataCommand,
  TransferContactCommand,
  UpdateContactRoutingDataCommand,
  DescribeContactCommand,
  StopContactCommand,
} from '@aws-sdk/client-connect';
import { config, connectClient, expectError, startChat } from './lib/parley.mjs';

const { bootstrap } = config();
const InstanceId = bootstrap.instanceId;
const connect = connectClient();

const AGENT_PROFILE = '00000000-0000-4000-a000-000000000003';
const AVAILABLE = '00000000-0000-4000-b000-000000000001';
const OFFLINE = '00000000-0000-4000-b000-000000000002';

const unique = (prefix) => `${prefix}-${randomBytes(4).toString('hex')}`;

async function newAgent(RoutingProfileId = bootstrap.routingProfileId) {
  const out = await connect.send(
    new CreateUserCommand({
      InstanceId,
      Username: unique('agent'),
      Password: 'Secret123',
      SecurityProfileIds: [AGENT_PROFILE],
      RoutingProfileId,
    }),
  );
  return out.UserId;
}

/** A queue (open all week) of this test file's own, so other files' chats never reach it. */
async function newQueue() {
  const hours = await connect.send(
    new CreateHoursOfOperationCommand({
      InstanceId,
      Name: unique('hours'),
      TimeZone: 'UTC',
      Config: ['MONDAY', 'TUESDAY', 'WEDNESDAY', 'THURSDAY', 'FRIDAY', 'SATURDAY', 'SUNDAY'].map((Day) => ({
        Day,
        StartTime: { Hours: 0, Minutes: 0 },
        EndTime: { Hours: 0, Minutes: 0 },
      })),
    }),
  );
  const queue = await connect.send(
    new CreateQueueCommand({ InstanceId, Name: unique('queue'), HoursOfOperationId: hours.HoursOfOperationId }),
  );
  return queue.QueueId;
}

async function userData(userId) {
  const out = await connect.send(
    new GetCurrentUserDataCommand({ InstanceId, Filters: { Agents: [userId] } }),
  );
  assert.equal(out.UserDataList.length, 1, `GetCurrentUserData: ${JSON.stringify(out)}`);
  return out.UserDataList[0];
}

async function waitFor(what, fn, ms = 10_000) {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > deadline) assert.fail(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

test('PutUserStatus and GetCurrentUserData show status, slots and offers', async () => {
  const queueId = await newQueue();
  const profile = await connect.send(
    new CreateRoutingProfileCommand({
      InstanceId,
      Name: unique('profile'),
      Description: 'agents.test.mjs',
      DefaultOutboundQueueId: queueId,
      MediaConcurrencies: [{ Channel: 'CHAT', Concurrency: 2 }],
      QueueConfigs: [{ QueueReference: { QueueId: queueId, Channel: 'CHAT' }, Priority: 1, Delay: 0 }],
    }),
  );
  const userId = await newAgent(profile.RoutingProfileId);
  await connect.send(new PutUserStatusCommand({ InstanceId, UserId: userId, AgentStatusId: AVAILABLE }));
  let d = await userData(userId);
  assert.equal(d.Status.StatusName, 'Available');
  assert.ok(d.Status.StatusStartTimestamp instanceof Date);
  assert.equal(d.User.Id, userId);
  assert.equal(d.RoutingProfile.Id, profile.RoutingProfileId);
  assert.equal(d.MaxSlotsByChannel.CHAT, 2);

  const chat = await startChat();
  await connect.send(
    new TransferContactCommand({ InstanceId, ContactId: chat.ContactId, ContactFlowId: bootstrap.inboundFlowId, QueueId: queueId }),
  );
  d = await waitFor('an offer', async () => {
    const u = await userData(userId);
    return u.Contacts?.find((c) => c.ContactId === chat.ContactId) ? u : null;
  });
  const c = d.Contacts.find((x) => x.ContactId === chat.ContactId);
  assert.equal(c.AgentContactState, 'INCOMING');
  assert.equal(c.Channel, 'CHAT');
  assert.equal(c.Queue.Id, queueId);
  assert.equal(d.ActiveSlotsByChannel.CHAT, 1);

  await connect.send(new PutUserStatusCommand({ InstanceId, UserId: userId, AgentStatusId: OFFLINE }));
  d = await userData(userId);
  assert.equal(d.Status.StatusName, 'Offline');
  assert.equal(d.AvailableSlotsByChannel.CHAT, 0);
  await connect.send(new StopContactCommand({ InstanceId, ContactId: chat.ContactId }));
});

test('GetCurrentUserData needs a filter; PutUserStatus needs a real status', async () => {
  await expectError(
    connect.send(new GetCurrentUserDataCommand({ InstanceId, Filters: {} })),
    'InvalidParameterException',
    400,
  );
  const userId = await newAgent();
  await expectError(
    connect.send(new PutUserStatusCommand({ InstanceId, UserId: userId, AgentStatusId: '11111111-2222-3333-4444-555555555555' })),
    'ResourceNotFoundException',
    404,
  );
});

test('TransferContact moves a waiting chat; UpdateContactRoutingData sets its priority; DescribeContact shows both', async () => {
  const queue = { QueueId: await newQueue() };
  const chat = await startChat();
  const moved = await connect.send(
    new TransferContactCommand({
      InstanceId,
      ContactId: chat.ContactId,
      ContactFlowId: bootstrap.inboundFlowId,
      QueueId: queue.QueueId,
    }),
  );
  assert.equal(moved.ContactId, chat.ContactId);
  assert.match(moved.ContactArn, /:instance\/.+\/contact\//);
  await connect.send(
    new UpdateContactRoutingDataCommand({ InstanceId, ContactId: chat.ContactId, QueuePriority: 2, QueueTimeAdjustmentSeconds: 30 }),
  );
  const { Contact } = await connect.send(new DescribeContactCommand({ InstanceId, ContactId: chat.ContactId }));
  assert.equal(Contact.QueueInfo.Id, queue.QueueId);
  assert.ok(Contact.QueueInfo.EnqueueTimestamp instanceof Date);
  assert.equal(Contact.QueuePriority, 2);

  await expectError(
    connect.send(
      new TransferContactCommand({ InstanceId, ContactId: chat.ContactId, ContactFlowId: bootstrap.inboundFlowId }),
    ),
    'InvalidParameterException',
    400,
    'TransferContact with neither queue nor user',
  );
  await expectError(
    connect.send(
      new TransferContactCommand({
        InstanceId,
        ContactId: chat.ContactId,
        ContactFlowId: bootstrap.inboundFlowId,
        QueueId: '11111111-2222-3333-4444-555555555555',
      }),
    ),
    'ResourceNotFoundException',
    404,
  );
  await connect.send(new StopContactCommand({ InstanceId, ContactId: chat.ContactId }));
});
