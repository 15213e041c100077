// Helpers shared by the end-to-end tests that need a workspace of their own:
// hours, queues, routing profiles, an inbound flow on a queue, quick
// connects and agents, made with @aws-sdk/client-connect, so that other
// test files' chats and agents never meet them.

import assert from 'node:assert/strict';
import {
  CreateUserCommand,
  CreateQueueCommand,
  CreateHoursOfOperationCommand,
  CreateRoutingProfileCommand,
  CreateContactFlowCommand,
  DescribeContactFlowCommand,
  CreateQuickConnectCommand,
  AssociateQueueQuickConnectsCommand,
  PutUserStatusCommand,
} from '@aws-sdk/client-connect';
import { config, connectClient, unique } from './parley.mjs';

/** The seeded Agent security profile. */
export const AGENT_PROFILE = '00000000-0000-4000-a000-000000000003';
/** The seeded Offline agent status. */
export const OFFLINE = '00000000-0000-4000-b000-000000000002';
/** The password the tests give the agents they make. */
export const PASSWORD = 'Secret123';

const instanceId = () => config().bootstrap.instanceId;

/** Hours of operation open all week, all day; resolves the id. */
export async function newHours(name) {
  const hours = await connectClient().send(
    new CreateHoursOfOperationCommand({
      InstanceId: instanceId(),
      Name: unique(name),
      TimeZone: 'UTC',
      Config: ['MONDAY', 'TUESDAY', 'WEDNESDAY', 'THURSDAY', 'FRIDAY', 'SATURDAY', 'SUNDAY'].map((Day) => ({
        Day,
        StartTime: { Hours: 0, Minutes: 0 },
        EndTime: { Hours: 0, Minutes: 0 },
      })),
    }),
  );
  return hours.HoursOfOperationId;
}

/** A queue named unique(name) on the given hours; resolves the id. */
export async function newQueue(name, HoursOfOperationId) {
  const q = await connectClient().send(new CreateQueueCommand({ InstanceId: instanceId(), Name: unique(name), HoursOfOperationId }));
  return q.QueueId;
}

/**
 * A chat routing profile named unique(name) serving one queue (also its
 * default outbound queue) with the given chat concurrency; resolves the id.
 */
export async function newProfile({ name, queueId, concurrency, description }) {
  const profile = await connectClient().send(
    new CreateRoutingProfileCommand({
      InstanceId: instanceId(),
      Name: unique(name),
      Description: description,
      DefaultOutboundQueueId: queueId,
      MediaConcurrencies: [{ Channel: 'CHAT', Concurrency: concurrency }],
      QueueConfigs: [{ QueueReference: { QueueId: queueId, Channel: 'CHAT' }, Priority: 1, Delay: 0 }],
    }),
  );
  return profile.RoutingProfileId;
}

/**
 * A copy of the default inbound flow (greeting, disconnect flow, whisper)
 * that queues on `queueId` instead of BasicQueue, named unique(name);
 * `extra` is merged into CreateContactFlow (e.g. {Status: 'PUBLISHED'}).
 * Resolves the CreateContactFlow output.
 */
export async function inboundFlowOn(queueId, name, extra = {}) {
  const { bootstrap } = config();
  const connect = connectClient();
  const inbound = await connect.send(new DescribeContactFlowCommand({ InstanceId: instanceId(), ContactFlowId: bootstrap.inboundFlowId }));
  const content = inbound.ContactFlow.Content.split(bootstrap.basicQueueId).join(queueId);
  assert.notEqual(content, inbound.ContactFlow.Content, 'the inbound flow names BasicQueue');
  return connect.send(
    new CreateContactFlowCommand({ InstanceId: instanceId(), Name: unique(name), Type: 'CONTACT_FLOW', Content: content, ...extra }),
  );
}

/**
 * A QUEUE quick connect named `name` (as given) to `toQueueId` through the
 * default inbound flow, offered on `fromQueueId`; resolves the
 * CreateQuickConnect output.
 */
export async function newQueueQuickConnect(name, fromQueueId, toQueueId) {
  const { bootstrap } = config();
  const connect = connectClient();
  const qc = await connect.send(
    new CreateQuickConnectCommand({
      InstanceId: instanceId(),
      Name: name,
      QuickConnectConfig: { QuickConnectType: 'QUEUE', QueueConfig: { QueueId: toQueueId, ContactFlowId: bootstrap.inboundFlowId } },
    }),
  );
  await connect.send(new AssociateQueueQuickConnectsCommand({ InstanceId: instanceId(), QueueId: fromQueueId, QuickConnectIds: [qc.QuickConnectId] }));
  return qc;
}

/**
 * A soft-phone user with the Agent security profile on a routing profile,
 * with the password PASSWORD unless given; with `firstName`, its identity
 * is "<firstName> Agent". Resolves {username, userId}.
 */
export async function newAgent({ username, routingProfileId, firstName, password = PASSWORD }) {
  const user = await connectClient().send(
    new CreateUserCommand({
      InstanceId: instanceId(),
      Username: username,
      Password: password,
      ...(firstName === undefined ? {} : { IdentityInfo: { FirstName: firstName, LastName: 'Agent' } }),
      PhoneConfig: { PhoneType: 'SOFT_PHONE' },
      SecurityProfileIds: [AGENT_PROFILE],
      RoutingProfileId: routingProfileId,
    }),
  );
  return { username, userId: user.UserId };
}

/** Sets each agent Offline, ignoring failures (for afterEach/finally clean-ups). */
export async function setOffline(userIds) {
  const connect = connectClient();
  for (const UserId of userIds) {
    await connect.send(new PutUserStatusCommand({ InstanceId: instanceId(), UserId, AgentStatusId: OFFLINE })).catch(() => {});
  }
}
