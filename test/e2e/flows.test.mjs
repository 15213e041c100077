// Contact flows through the official @aws-sdk/client-connect: publishing
// validates the flow language against the instance's resources, every
// publish is a new version, drafts (SAVED) skip validation, and a bad flow
// is an InvalidContactFlowException whose problems point into the document.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import {
  CreateHoursOfOperationCommand,
  CreateContactFlowCommand,
  DescribeContactFlowCommand,
  UpdateContactFlowContentCommand,
  UpdateContactFlowMetadataCommand,
  UpdateContactFlowNameCommand,
  ListContactFlowsCommand,
  DeleteContactFlowCommand,
} from '@aws-sdk/client-connect';
import { config, connectClient, expectError } from './lib/parley.mjs';

const { bootstrap } = config();
const InstanceId = bootstrap.instanceId;
const connect = connectClient();
const send = (Command, input) => connect.send(new Command({ InstanceId, ...input }));

/** A name no other test or run uses. */
const unique = (prefix) => `${prefix}-${randomBytes(4).toString('hex')}`;

const arn = (type, id) => `arn:aws:connect:${bootstrap.region}:000000000000:instance/${InstanceId}/${type}/${id}`;

const flowArn = (id) => arn('contact-flow', id);

/** Every action continues to next on success and on NoMatchingError. */
const step = (Identifier, Type, Parameters, next, errorNext = next) => ({
  Identifier,
  Type,
  Parameters,
  Transitions: { NextAction: next, Errors: [{ NextAction: errorNext, ErrorType: 'NoMatchingError' }] },
});

/** The disconnect flow: a notice, a wait for the customer, then back to the queue. */
function disconnectFlow() {
  return {
    Version: '2019-10-30',
    StartAction: 'notice',
    Actions: [
      step('notice', 'MessageParticipant', { Text: 'The agent has left. Reply within 15 minutes to continue.' }, 'wait'),
      {
        Identifier: 'wait',
        Type: 'Wait',
        Parameters: { TimeLimitSeconds: '900', Events: ['CustomerReturned'] },
        Transitions: {
          NextAction: 'end',
          Conditions: [
            { NextAction: 'requeue', Condition: { Operator: 'Equals', Operands: ['CustomerReturned'] } },
            { NextAction: 'end', Condition: { Operator: 'Equals', Operands: ['WaitCompleted'] } },
          ],
          Errors: [{ NextAction: 'end', ErrorType: 'NoMatchingError' }],
        },
      },
      {
        Identifier: 'requeue',
        Type: 'TransferContactToQueue',
        Parameters: {},
        Transitions: {
          NextAction: 'end',
          Errors: [
            { NextAction: 'end', ErrorType: 'QueueAtCapacity' },
            { NextAction: 'end', ErrorType: 'NoMatchingError' },
          ],
        },
      },
      { Identifier: 'end', Type: 'DisconnectParticipant', Parameters: {}, Transitions: {} },
    ],
  };
}

/** A realistic inbound chat flow of 13 blocks with designer metadata. */
function inboundFlow({ hoursId, disconnectId, greeting = 'Hi $.Attributes.firstName, thanks for contacting us.' }) {
  return {
    Version: '2019-10-30',
    StartAction: 'Welcome',
    Metadata: {
      entryPointPosition: { x: 40, y: 40 },
      ActionMetadata: { Welcome: { position: { x: 160, y: 40 }, isFriendlyName: true } },
      name: 'inbound',
      status: 'published',
    },
    Actions: [
      step('Welcome', 'MessageParticipant', { Text: greeting }, 'tier-check'),
      {
        Identifier: 'tier-check',
        Type: 'Compare',
        Parameters: { ComparisonValue: '$.Attributes.tier' },
        Transitions: {
          NextAction: 'standard',
          Conditions: [{ NextAction: 'vip', Condition: { Operator: 'Equals', Operands: ['gold'] } }],
          Errors: [{ NextAction: 'standard', ErrorType: 'NoMatchingCondition' }],
        },
      },
      step('vip', 'UpdateContactAttributes', { Attributes: { priority: 'high', entry: 'vip' } }, 'hours'),
      step('standard', 'UpdateContactAttributes', { Attributes: { priority: 'normal', entry: 'web-chat' } }, 'hours'),
      {
        Identifier: 'hours',
        Type: 'CheckHoursOfOperation',
        Parameters: { HoursOfOperationId: arn('operating-hours', hoursId) },
        Transitions: {
          NextAction: 'closed',
          Conditions: [
            { NextAction: 'set-disconnect', Condition: { Operator: 'Equals', Operands: ['True'] } },
            { NextAction: 'closed', Condition: { Operator: 'Equals', Operands: ['False'] } },
          ],
          Errors: [{ NextAction: 'closed', ErrorType: 'NoMatchingError' }],
        },
      },
      step('set-disconnect', 'UpdateContactEventHooks', { EventHooks: { CustomerRemaining: flowArn(disconnectId) } }, 'set-queue'),
      step('set-queue', 'UpdateContactTargetQueue', { QueueId: arn('queue', bootstrap.basicQueueId) }, 'queued-msg', 'sorry'),
      step('queued-msg', 'MessageParticipant', { Text: 'You are in the queue for $.Queue.Name.' }, 'transfer'),
      {
        Identifier: 'transfer',
        Type: 'TransferContactToQueue',
        Parameters: {},
        Transitions: {
          NextAction: 'sorry',
          Errors: [
            { NextAction: 'busy', ErrorType: 'QueueAtCapacity' },
            { NextAction: 'sorry', ErrorType: 'NoMatchingError' },
          ],
        },
      },
      step('busy', 'MessageParticipant', { Text: 'All our agents are busy. Please try again later.' }, 'bye'),
      step('closed', 'MessageParticipant', { Text: 'We are closed right now.' }, 'bye'),
      step('sorry', 'MessageParticipant', { Text: 'Something went wrong; please start a new chat.' }, 'bye'),
      { Identifier: 'bye', Type: 'DisconnectParticipant', Parameters: {}, Transitions: {} },
    ],
  };
}

/** Hours of operation, a disconnect flow and a published inbound flow, once for the file. */
let setupPromise;
function setup() {
  setupPromise ??= (async () => {
    const { HoursOfOperationId: hoursId } = await send(CreateHoursOfOperationCommand, {
      Name: unique('flow-hours'),
      TimeZone: 'Europe/London',
      Config: ['MONDAY', 'TUESDAY', 'WEDNESDAY', 'THURSDAY', 'FRIDAY'].map((Day) => ({
        Day,
        StartTime: { Hours: 9, Minutes: 0 },
        EndTime: { Hours: 17, Minutes: 0 },
      })),
    });
    const disconnect = await send(CreateContactFlowCommand, {
      Name: unique('disconnect'),
      Type: 'CONTACT_FLOW',
      Content: JSON.stringify(disconnectFlow()),
    });
    const content = JSON.stringify(inboundFlow({ hoursId, disconnectId: disconnect.ContactFlowId }), null, 2);
    const name = unique('inbound');
    const inbound = await send(CreateContactFlowCommand, {
      Name: name,
      Type: 'CONTACT_FLOW',
      Description: 'Web chat entry point',
      Content: content,
      Tags: { team: 'support' },
    });
    return { hoursId, disconnectId: disconnect.ContactFlowId, inbound, content, name };
  })();
  return setupPromise;
}

test('a published flow describes unchanged; each content update is a new version', async () => {
  const { hoursId, disconnectId, inbound, content, name } = await setup();
  assert.match(inbound.ContactFlowId, /^[0-9a-f-]{36}$/);
  assert.equal(inbound.ContactFlowArn, flowArn(inbound.ContactFlowId));
  assert.match(inbound.FlowContentSha256, /^[0-9a-f]{64}$/);

  const ContactFlowId = inbound.ContactFlowId;
  const { ContactFlow: f } = await send(DescribeContactFlowCommand, { ContactFlowId });
  assert.equal(f.Id, ContactFlowId);
  assert.equal(f.Arn, inbound.ContactFlowArn);
  assert.equal(f.Name, name);
  assert.equal(f.Type, 'CONTACT_FLOW');
  assert.equal(f.State, 'ACTIVE');
  assert.equal(f.Status, 'PUBLISHED');
  assert.equal(f.Description, 'Web chat entry point');
  assert.equal(f.Content, content, 'Content is returned byte for byte, Metadata and whitespace included');
  assert.deepEqual(f.Tags, { team: 'support' });
  assert.equal(f.FlowContentSha256, inbound.FlowContentSha256);
  assert.equal(f.Version, 1);
  assert.ok(f.LastModifiedTime instanceof Date);
  assert.equal(f.LastModifiedRegion, bootstrap.region);

  const v2 = JSON.stringify(inboundFlow({ hoursId, disconnectId, greeting: 'Welcome back, $.Attributes.firstName!' }));
  await send(UpdateContactFlowContentCommand, { ContactFlowId, Content: v2 });
  const { ContactFlow: latest } = await send(DescribeContactFlowCommand, { ContactFlowId });
  assert.equal(latest.Version, 2);
  assert.equal(latest.Content, v2);
  assert.notEqual(latest.FlowContentSha256, f.FlowContentSha256);

  const { ContactFlow: first } = await send(DescribeContactFlowCommand, { ContactFlowId: `${ContactFlowId}:1` });
  assert.equal(first.Version, 1);
  assert.equal(first.Content, content);
  const { ContactFlow: saved } = await send(DescribeContactFlowCommand, { ContactFlowId: `${flowArn(ContactFlowId)}:$SAVED` });
  assert.equal(saved.Content, v2);
  await expectError(send(DescribeContactFlowCommand, { ContactFlowId: `${ContactFlowId}:9` }), 'ResourceNotFoundException', 404);
});

test('names are unique; metadata and names change in place', async () => {
  const { disconnectId, name } = await setup();
  await expectError(
    send(CreateContactFlowCommand, { Name: name, Type: 'CONTACT_FLOW', Content: JSON.stringify(disconnectFlow()) }),
    'DuplicateResourceException',
    409,
  );
  const renamed = unique('disconnect-renamed');
  await send(UpdateContactFlowNameCommand, { ContactFlowId: disconnectId, Name: renamed, Description: 'Customer remaining' });
  await send(UpdateContactFlowMetadataCommand, { ContactFlowId: disconnectId, ContactFlowState: 'ARCHIVED' });
  const { ContactFlow: f } = await send(DescribeContactFlowCommand, { ContactFlowId: disconnectId });
  assert.equal(f.Name, renamed);
  assert.equal(f.Description, 'Customer remaining');
  assert.equal(f.State, 'ARCHIVED');
  assert.equal(f.Version, 1, 'metadata changes publish nothing');
  await expectError(
    send(UpdateContactFlowNameCommand, { ContactFlowId: disconnectId, Name: name }),
    'DuplicateResourceException',
    409,
  );
  await send(UpdateContactFlowMetadataCommand, { ContactFlowId: disconnectId, ContactFlowState: 'ACTIVE' });
});

test('invalid content is refused with one problem per violation, each with its path', async () => {
  const { hoursId, disconnectId } = await setup();
  const bad = inboundFlow({ hoursId, disconnectId });
  bad.Actions[0].Transitions.NextAction = 'no-such-block'; // Welcome
  bad.Actions[9].Type = 'PlayJingle'; // busy
  bad.Actions.push({
    Identifier: 'long-wait',
    Type: 'Wait',
    Parameters: { TimeLimitSeconds: '604801' },
    Transitions: {
      NextAction: 'bye',
      Conditions: [{ NextAction: 'bye', Condition: { Operator: 'Equals', Operands: ['WaitCompleted'] } }],
      Errors: [{ NextAction: 'bye', ErrorType: 'NoMatchingError' }],
    },
  });
  bad.Actions[10].Transitions.NextAction = 'long-wait'; // closed → long-wait, so it is reachable
  const content = JSON.stringify(bad);

  const err = await expectError(
    send(CreateContactFlowCommand, { Name: unique('broken'), Type: 'CONTACT_FLOW', Content: content }),
    'InvalidContactFlowException',
    400,
  );
  const messages = (err.problems ?? []).map((p) => p.message);
  assert.ok(messages.length >= 3, `problems: ${JSON.stringify(err.problems)}`);
  for (const path of ['Actions[0].Transitions.NextAction', 'Actions[9].Type', 'Actions[13].Parameters.TimeLimitSeconds']) {
    assert.ok(
      messages.some((m) => m.endsWith(`Path: ${path}`)),
      `a problem names ${path}: ${JSON.stringify(messages)}`,
    );
  }

  // The same content is accepted as a draft, and refused again on publish.
  const draft = await send(CreateContactFlowCommand, { Name: unique('draft'), Type: 'CONTACT_FLOW', Content: content, Status: 'SAVED' });
  const { ContactFlow: saved } = await send(DescribeContactFlowCommand, { ContactFlowId: `${draft.ContactFlowId}:$SAVED` });
  assert.equal(saved.Status, 'SAVED');
  assert.equal(saved.Content, content);
  await expectError(send(DescribeContactFlowCommand, { ContactFlowId: draft.ContactFlowId }), 'ContactFlowNotPublishedException', 404);
  await expectError(
    send(UpdateContactFlowContentCommand, { ContactFlowId: draft.ContactFlowId, Content: content }),
    'InvalidContactFlowException',
    400,
  );
  await send(DeleteContactFlowCommand, { ContactFlowId: draft.ContactFlowId });
});

test('ListContactFlows filters by type and pages', async () => {
  const { inbound } = await setup();
  const queueFlows = [];
  for (let i = 0; i < 3; i++) {
    const { ContactFlowId } = await send(CreateContactFlowCommand, {
      Name: unique(`queue-${i}`),
      Type: 'CUSTOMER_QUEUE',
      Content: JSON.stringify({
        Version: '2019-10-30',
        StartAction: 'end',
        Actions: [{ Identifier: 'end', Type: 'EndFlowExecution', Parameters: {}, Transitions: {} }],
      }),
    });
    queueFlows.push(ContactFlowId);
  }
  const seen = [];
  let NextToken;
  let pages = 0;
  do {
    const out = await send(ListContactFlowsCommand, { ContactFlowTypes: ['CUSTOMER_QUEUE'], MaxResults: 2, NextToken });
    assert.ok(out.ContactFlowSummaryList.length <= 2);
    for (const s of out.ContactFlowSummaryList) {
      assert.equal(s.ContactFlowType, 'CUSTOMER_QUEUE');
      assert.equal(s.Arn, flowArn(s.Id));
      seen.push(s.Id);
    }
    NextToken = out.NextToken;
    pages++;
  } while (NextToken);
  assert.ok(pages >= 2, `pages: ${pages}`);
  for (const id of queueFlows) assert.ok(seen.includes(id), `${id} listed`);
  assert.ok(!seen.includes(inbound.ContactFlowId), 'an inbound flow is not a customer queue flow');

  const { ContactFlowSummaryList: inboundList } = await send(ListContactFlowsCommand, { ContactFlowTypes: ['CONTACT_FLOW'] });
  const entry = inboundList.find((s) => s.Id === inbound.ContactFlowId);
  assert.ok(entry, 'the inbound flow is listed');
  assert.equal(entry.ContactFlowState, 'ACTIVE');
  assert.equal(entry.ContactFlowStatus, 'PUBLISHED');
  assert.ok(inboundList.some((s) => s.Id === bootstrap.inboundFlowId), 'the bootstrap inbound flow is listed');
  await expectError(send(ListContactFlowsCommand, { ContactFlowTypes: ['NOT_A_TYPE'] }), 'InvalidParameterException', 400);
});

test('a deleted flow is gone', async () => {
  const { ContactFlowId } = await send(CreateContactFlowCommand, {
    Name: unique('short-lived'),
    Type: 'CONTACT_FLOW',
    Content: JSON.stringify(disconnectFlow()),
  });
  await send(DeleteContactFlowCommand, { ContactFlowId });
  await expectError(send(DescribeContactFlowCommand, { ContactFlowId }), 'ResourceNotFoundException', 404);
  await expectError(send(DeleteContactFlowCommand, { ContactFlowId }), 'ResourceNotFoundException', 404);
});
