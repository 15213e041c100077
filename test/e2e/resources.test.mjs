// Routing resources through the official @aws-sdk/client-connect: hours of
// operation (and overrides), queues, routing profiles, quick connects and
// agent statuses, with the SDK's routes, shapes, paging and exceptions.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import {
  CreateHoursOfOperationCommand,
  DescribeHoursOfOperationCommand,
  CreateHoursOfOperationOverrideCommand,
  ListHoursOfOperationOverridesCommand,
  DeleteHoursOfOperationOverrideCommand,
  DeleteHoursOfOperationCommand,
  CreateQueueCommand,
  DescribeQueueCommand,
  ListQueuesCommand,
  UpdateQueueStatusCommand,
  DeleteQueueCommand,
  CreateRoutingProfileCommand,
  DescribeRoutingProfileCommand,
  ListRoutingProfileQueuesCommand,
  UpdateRoutingProfileConcurrencyCommand,
  DeleteRoutingProfileCommand,
  CreateQuickConnectCommand,
  DescribeQuickConnectCommand,
  ListQuickConnectsCommand,
  CreateAgentStatusCommand,
  DescribeAgentStatusCommand,
  ListAgentStatusesCommand,
} from '@aws-sdk/client-connect';
import { config, connectClient, expectError } from './lib/parley.mjs';

const { bootstrap } = config();
const InstanceId = bootstrap.instanceId;
const connect = connectClient();
const send = (Command, input) => connect.send(new Command({ InstanceId, ...input }));

/** A name no other test or run uses. */
const unique = (prefix) => `${prefix}-${randomBytes(4).toString('hex')}`;

const arn = (type, id) => `arn:aws:connect:${bootstrap.region}:000000000000:instance/${InstanceId}/${type}/${id}`;

const WEEKDAYS = ['MONDAY', 'TUESDAY', 'WEDNESDAY', 'THURSDAY', 'FRIDAY'];
const officeHours = WEEKDAYS.map((Day) => ({ Day, StartTime: { Hours: 9, Minutes: 0 }, EndTime: { Hours: 17, Minutes: 30 } }));

/** Hours of operation in New York, created once for the file. */
let hoursPromise;
function hours() {
  hoursPromise ??= send(CreateHoursOfOperationCommand, {
    Name: unique('office'),
    Description: 'New York office',
    TimeZone: 'America/New_York',
    Config: officeHours,
  });
  return hoursPromise;
}

async function createQueue(Name, extra = {}) {
  const { HoursOfOperationId } = await hours();
  return send(CreateQueueCommand, { Name, HoursOfOperationId, ...extra });
}

function assertRecent(date, what) {
  assert.ok(date instanceof Date, `${what}: ${date}`);
  assert.ok(Math.abs(date.getTime() - Date.now()) < 60_000, `${what}: ${date.toISOString()}`);
}

test('hours of operation keep their time zone, intervals and overrides', async () => {
  const created = await hours();
  assert.equal(created.HoursOfOperationArn, arn('operating-hours', created.HoursOfOperationId));
  const { HoursOfOperation: h } = await send(DescribeHoursOfOperationCommand, { HoursOfOperationId: created.HoursOfOperationId });
  assert.equal(h.TimeZone, 'America/New_York');
  assert.equal(h.Description, 'New York office');
  assert.deepEqual(h.Config, officeHours);
  assertRecent(h.LastModifiedTime, 'LastModifiedTime');

  await expectError(
    send(CreateHoursOfOperationCommand, { Name: unique('mars'), TimeZone: 'Mars/Olympus_Mons', Config: officeHours }),
    'InvalidParameterException',
    400,
    'unknown time zone',
  );

  const { HoursOfOperationOverrideId } = await send(CreateHoursOfOperationOverrideCommand, {
    HoursOfOperationId: created.HoursOfOperationId,
    Name: 'Christmas',
    OverrideType: 'CLOSED',
    EffectiveFrom: '2026-12-25',
    EffectiveTill: '2026-12-26',
    Config: [],
  });
  const { HoursOfOperationOverrideList: list } = await send(ListHoursOfOperationOverridesCommand, {
    HoursOfOperationId: created.HoursOfOperationId,
  });
  assert.deepEqual(
    list.map((o) => [o.HoursOfOperationOverrideId, o.Name, o.OverrideType, o.EffectiveFrom, o.EffectiveTill]),
    [[HoursOfOperationOverrideId, 'Christmas', 'CLOSED', '2026-12-25', '2026-12-26']],
  );
  await send(DeleteHoursOfOperationOverrideCommand, { HoursOfOperationId: created.HoursOfOperationId, HoursOfOperationOverrideId });
});

test('queues: create, describe, list page by page, refuse a taken name, enable and disable', async () => {
  const prefix = unique('queue');
  const names = [`${prefix}-a`, `${prefix}-b`, `${prefix}-c`];
  const ids = [];
  for (const name of names) {
    const out = await createQueue(name, { Description: `the ${name} queue`, MaxContacts: 25, Tags: { team: 'blue' } });
    assert.equal(out.QueueArn, arn('queue', out.QueueId));
    ids.push(out.QueueId);
  }
  const { HoursOfOperationId } = await hours();

  const { Queue: q } = await send(DescribeQueueCommand, { QueueId: ids[0] });
  assert.equal(q.QueueId, ids[0]);
  assert.equal(q.QueueArn, arn('queue', ids[0]));
  assert.equal(q.Name, names[0]);
  assert.equal(q.Description, `the ${names[0]} queue`);
  assert.equal(q.HoursOfOperationId, HoursOfOperationId);
  assert.equal(q.MaxContacts, 25);
  assert.equal(q.Status, 'ENABLED');
  assert.deepEqual(q.Tags, { team: 'blue' });
  assert.equal(q.LastModifiedRegion, bootstrap.region);
  assertRecent(q.LastModifiedTime, 'LastModifiedTime');
  // By ARN too.
  assert.equal((await send(DescribeQueueCommand, { QueueId: q.QueueArn })).Queue.QueueId, ids[0]);

  // Two at a time, until NextToken runs out.
  const seen = [];
  let NextToken;
  let pages = 0;
  do {
    const page = await send(ListQueuesCommand, { QueueTypes: ['STANDARD'], MaxResults: 2, NextToken });
    assert.ok(page.QueueSummaryList.length <= 2, `page of ${page.QueueSummaryList.length}`);
    for (const s of page.QueueSummaryList) {
      assert.equal(s.QueueType, 'STANDARD');
      assert.equal(s.Arn, arn('queue', s.Id));
      assert.ok(s.LastModifiedTime instanceof Date);
      seen.push(s.Name);
    }
    NextToken = page.NextToken;
    pages++;
  } while (NextToken && pages < 100);
  assert.ok(pages >= 2, `${pages} pages`);
  assert.ok(seen.includes('BasicQueue'), `BasicQueue listed: ${seen}`);
  assert.deepEqual(seen.filter((n) => n.startsWith(prefix)), names);
  await expectError(send(ListQueuesCommand, { NextToken: 'not a token' }), 'InvalidParameterException', 400, 'bad NextToken');

  await expectError(createQueue(names[1]), 'DuplicateResourceException', 409, 'duplicate queue name');
  await expectError(createQueue(unique('q'), { MaxContacts: -1 }), 'InvalidParameterException', 400, 'negative MaxContacts');
  await expectError(
    send(CreateQueueCommand, { Name: unique('q'), HoursOfOperationId: '00000000-0000-4000-8000-00000000dead' }),
    'ResourceNotFoundException',
    404,
    'unknown hours',
  );

  await send(UpdateQueueStatusCommand, { QueueId: ids[2], Status: 'DISABLED' });
  assert.equal((await send(DescribeQueueCommand, { QueueId: ids[2] })).Queue.Status, 'DISABLED');
  await send(UpdateQueueStatusCommand, { QueueId: ids[2], Status: 'ENABLED' });
  assert.equal((await send(DescribeQueueCommand, { QueueId: ids[2] })).Queue.Status, 'ENABLED');
  await expectError(send(UpdateQueueStatusCommand, { QueueId: ids[2], Status: 'PAUSED' }), 'InvalidParameterException', 400, 'bad status');

  await send(DeleteQueueCommand, { QueueId: ids[2] });
  await expectError(send(DescribeQueueCommand, { QueueId: ids[2] }), 'ResourceNotFoundException', 404, 'deleted queue');
});

test('routing profiles: chat concurrency, queues with priorities and delays, limits, and queues in use', async () => {
  const first = await createQueue(unique('first'));
  const second = await createQueue(unique('second'));
  const input = {
    Name: unique('agents'),
    Description: 'chat agents',
    DefaultOutboundQueueId: first.QueueId,
    MediaConcurrencies: [{ Channel: 'CHAT', Concurrency: 3, CrossChannelBehavior: { BehaviorType: 'ROUTE_CURRENT_CHANNEL_ONLY' } }],
    QueueConfigs: [
      { QueueReference: { QueueId: first.QueueId, Channel: 'CHAT' }, Priority: 1, Delay: 0 },
      { QueueReference: { QueueId: second.QueueId, Channel: 'CHAT' }, Priority: 2, Delay: 30 },
    ],
  };
  const created = await send(CreateRoutingProfileCommand, input);
  assert.equal(created.RoutingProfileArn, arn('routing-profile', created.RoutingProfileId));

  const { RoutingProfile: p } = await send(DescribeRoutingProfileCommand, { RoutingProfileId: created.RoutingProfileId });
  assert.equal(p.Name, input.Name);
  assert.equal(p.Description, 'chat agents');
  assert.equal(p.DefaultOutboundQueueId, first.QueueId);
  assert.deepEqual(p.MediaConcurrencies, input.MediaConcurrencies);
  assert.equal(p.NumberOfAssociatedQueues, 2);
  assert.equal(p.NumberOfAssociatedUsers, 0);
  assertRecent(p.LastModifiedTime, 'LastModifiedTime');

  const { RoutingProfileQueueConfigSummaryList: queues } = await send(ListRoutingProfileQueuesCommand, {
    RoutingProfileId: created.RoutingProfileId,
  });
  assert.deepEqual(
    queues.map((q) => [q.QueueId, q.QueueArn, q.Channel, q.Priority, q.Delay]),
    [
      [first.QueueId, first.QueueArn, 'CHAT', 1, 0],
      [second.QueueId, second.QueueArn, 'CHAT', 2, 30],
    ],
  );

  await expectError(
    send(CreateRoutingProfileCommand, { ...input, Name: unique('eleven'), MediaConcurrencies: [{ Channel: 'CHAT', Concurrency: 11 }] }),
    'InvalidParameterException',
    400,
    'chat concurrency 11',
  );
  await expectError(
    send(UpdateRoutingProfileConcurrencyCommand, {
      RoutingProfileId: created.RoutingProfileId,
      MediaConcurrencies: [{ Channel: 'CHAT', Concurrency: 11 }],
    }),
    'InvalidParameterException',
    400,
    'UpdateRoutingProfileConcurrency to 11',
  );
  await expectError(
    send(CreateRoutingProfileCommand, { ...input, Name: input.Name }),
    'DuplicateResourceException',
    409,
    'duplicate routing profile name',
  );

  await expectError(send(DeleteQueueCommand, { QueueId: second.QueueId }), 'ResourceInUseException', 409, 'queue in a routing profile');
  const { HoursOfOperationId } = await hours();
  await expectError(send(DeleteHoursOfOperationCommand, { HoursOfOperationId }), 'ResourceInUseException', 409, 'hours a queue uses');

  await send(DeleteRoutingProfileCommand, { RoutingProfileId: created.RoutingProfileId });
  await send(DeleteQueueCommand, { QueueId: second.QueueId });
});

test('the bootstrapped queue and routing profile', async () => {
  const { Queue: q } = await send(DescribeQueueCommand, { QueueId: bootstrap.basicQueueId });
  assert.equal(q.Name, 'BasicQueue');
  const { RoutingProfile: p } = await send(DescribeRoutingProfileCommand, { RoutingProfileId: bootstrap.routingProfileId });
  assert.equal(p.Name, 'Basic Routing Profile');
  assert.equal(p.DefaultOutboundQueueId, bootstrap.basicQueueId);
  assert.deepEqual(
    p.MediaConcurrencies.find((m) => m.Channel === 'CHAT'),
    { Channel: 'CHAT', Concurrency: 2, CrossChannelBehavior: { BehaviorType: 'ROUTE_CURRENT_CHANNEL_ONLY' } },
  );
  const { HoursOfOperation: h } = await send(DescribeHoursOfOperationCommand, { HoursOfOperationId: q.HoursOfOperationId });
  assert.equal(h.Name, 'Basic Hours');
  assert.equal(h.TimeZone, 'UTC');
  assert.equal(h.Config.length, 7);
});

test('quick connects of type QUEUE', async () => {
  const target = await createQueue(unique('target'));
  const Name = unique('to-target');
  const created = await send(CreateQuickConnectCommand, {
    Name,
    Description: 'transfer to the target queue',
    QuickConnectConfig: { QuickConnectType: 'QUEUE', QueueConfig: { QueueId: target.QueueId, ContactFlowId: bootstrap.inboundFlowId } },
  });
  assert.equal(created.QuickConnectARN, arn('transfer-destination', created.QuickConnectId));

  const { QuickConnect: qc } = await send(DescribeQuickConnectCommand, { QuickConnectId: created.QuickConnectId });
  assert.equal(qc.Name, Name);
  assert.deepEqual(qc.QuickConnectConfig, {
    QuickConnectType: 'QUEUE',
    QueueConfig: { QueueId: target.QueueId, ContactFlowId: bootstrap.inboundFlowId },
  });

  const { QuickConnectSummaryList: list } = await send(ListQuickConnectsCommand, { QuickConnectTypes: ['QUEUE'] });
  const mine = list.find((s) => s.Id === created.QuickConnectId);
  assert.ok(mine, `quick connect listed: ${JSON.stringify(list)}`);
  assert.equal(mine.QuickConnectType, 'QUEUE');
  assert.equal(mine.Arn, created.QuickConnectARN);
  const { QuickConnectSummaryList: users } = await send(ListQuickConnectsCommand, { QuickConnectTypes: ['USER'] });
  assert.ok(!users.some((s) => s.Id === created.QuickConnectId), 'a QUEUE quick connect listed as USER');

  await expectError(
    send(CreateQuickConnectCommand, {
      Name: unique('nowhere'),
      QuickConnectConfig: { QuickConnectType: 'QUEUE', QueueConfig: { QueueId: target.QueueId, ContactFlowId: 'no-such-flow' } },
    }),
    'ResourceNotFoundException',
    404,
    'unknown flow',
  );
  await expectError(send(DeleteQueueCommand, { QueueId: target.QueueId }), 'ResourceInUseException', 409, 'queue a quick connect targets');
});

test('agent statuses: built-ins listed first, custom ones created', async () => {
  const Name = unique('lunch');
  const created = await send(CreateAgentStatusCommand, { Name, Description: 'out for lunch', State: 'ENABLED', DisplayOrder: 5 });
  assert.equal(created.AgentStatusARN, arn('agent-state', created.AgentStatusId));

  const { AgentStatus: st } = await send(DescribeAgentStatusCommand, { AgentStatusId: created.AgentStatusId });
  assert.equal(st.Name, Name);
  assert.equal(st.Type, 'CUSTOM');
  assert.equal(st.State, 'ENABLED');
  assert.equal(st.DisplayOrder, 5);

  const { AgentStatusSummaryList: list } = await send(ListAgentStatusesCommand, {});
  assert.deepEqual(
    list.slice(0, 2).map((s) => [s.Name, s.Type]),
    [
      ['Available', 'ROUTABLE'],
      ['Offline', 'OFFLINE'],
    ],
  );
  assert.ok(list.some((s) => s.Id === created.AgentStatusId && s.Type === 'CUSTOM'), `custom status listed: ${JSON.stringify(list)}`);
  const { AgentStatusSummaryList: routable } = await send(ListAgentStatusesCommand, { AgentStatusTypes: ['ROUTABLE'] });
  assert.deepEqual(routable.map((s) => s.Name), ['Available']);

  await expectError(send(CreateAgentStatusCommand, { Name: 'Offline', State: 'ENABLED' }), 'DuplicateResourceException', 409, 'built-in name');
  await expectError(
    send(CreateAgentStatusCommand, { Name: unique('late'), State: 'ENABLED', DisplayOrder: 51 }),
    'InvalidParameterException',
    400,
    'DisplayOrder 51',
  );
});
