// The wire details below the SDKs: error shapes, CORS, authentication of
// raw requests and of websocket upgrades, checked with plain fetch and ws.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import WebSocket from 'ws';
import { config, startCustomer } from './lib/parley.mjs';

const { endpoint, bootstrap } = config();

test('CORS preflight on /participant/* allows any origin and the headers the SDKs send', async () => {
  const wanted = ['content-type', 'x-amz-bearer', 'authorization', 'x-amz-date', 'x-amz-user-agent', 'amz-sdk-invocation-id', 'amz-sdk-request', 'x-amz-content-sha256', 'x-amz-security-token'];
  for (const path of ['/participant/connection', '/participant/message', '/participant/event', '/participant/transcript', '/participant/disconnect']) {
    const res = await fetch(`${endpoint}${path}`, {
      method: 'OPTIONS',
      headers: {
        Origin: 'http://shop.example',
        'Access-Control-Request-Method': 'POST',
        'Access-Control-Request-Headers': wanted.join(','),
      },
    });
    assert.ok(res.status >= 200 && res.status < 300, `preflight ${path}: got HTTP ${res.status}, want 2xx`);
    const origin = res.headers.get('access-control-allow-origin');
    assert.ok(origin === '*' || origin === 'http://shop.example', `preflight ${path}: Access-Control-Allow-Origin ${origin}`);
    const methods = (res.headers.get('access-control-allow-methods') ?? '').toLowerCase();
    assert.ok(methods === '*' || methods.includes('post'), `preflight ${path}: Access-Control-Allow-Methods ${methods}`);
    const allowed = (res.headers.get('access-control-allow-headers') ?? '').toLowerCase().split(/\s*,\s*/);
    if (!allowed.includes('*')) {
      const missing = wanted.filter((h) => !allowed.includes(h));
      assert.deepEqual(missing, [], `preflight ${path}: Access-Control-Allow-Headers lacks some; got ${allowed.join(',')}`);
    }
  }
});

test('participant errors: 403, x-amzn-ErrorType, JSON message, request id, readable cross-origin', async () => {
  const res = await fetch(`${endpoint}/participant/message`, {
    method: 'POST',
    headers: { Origin: 'http://shop.example', 'content-type': 'application/json', 'X-Amz-Bearer': 'not-a-token' },
    body: JSON.stringify({ ContentType: 'text/plain', Content: 'hi' }),
  });
  assert.equal(res.status, 403);
  assert.equal(res.headers.get('x-amzn-errortype')?.split(':')[0], 'AccessDeniedException', 'x-amzn-ErrorType header');
  assert.ok(res.headers.get('x-amzn-requestid'), 'x-amzn-RequestId header missing');
  const body = await res.json();
  assert.equal(typeof (body.message ?? body.Message), 'string', `error body: got ${JSON.stringify(body)}, want a message`);
  const origin = res.headers.get('access-control-allow-origin');
  assert.ok(origin === '*' || origin === 'http://shop.example', `error response Access-Control-Allow-Origin: ${origin}`);
  const exposed = (res.headers.get('access-control-expose-headers') ?? '').toLowerCase();
  assert.ok(exposed === '*' || exposed.includes('x-amzn-errortype'), `Access-Control-Expose-Headers must include x-amzn-errortype so browsers see the error name; got ${exposed}`);
});

test('the Connect API refuses unsigned requests', async () => {
  const res = await fetch(`${endpoint}/contact/chat`, {
    method: 'PUT',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ InstanceId: bootstrap.instanceId, ContactFlowId: bootstrap.inboundFlowId, ParticipantDetails: { DisplayName: 'x' } }),
  });
  assert.equal(res.status, 403, `unsigned StartChatContact: got HTTP ${res.status}, want 403`);
  assert.ok(res.headers.get('x-amzn-errortype'), 'unsigned StartChatContact: no x-amzn-ErrorType');
  const get = await fetch(`${endpoint}/contacts/${bootstrap.instanceId}/whatever`);
  assert.equal(get.status, 403, `unsigned DescribeContact: got HTTP ${get.status}, want 403`);
});

test('the participant API ignores SigV4 headers, even with an empty access key', async () => {
  const { customer } = await startCustomer();
  try {
    const res = await fetch(`${endpoint}/participant/transcript`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'X-Amz-Bearer': customer.connectionToken,
        Authorization: 'AWS4-HMAC-SHA256 Credential=/20200101/us-west-2/execute-api/aws4_request, SignedHeaders=host;x-amz-date, Signature=00',
        'X-Amz-Date': '20200101T000000Z',
      },
      body: JSON.stringify({ MaxResults: 10 }),
    });
    const text = await res.text();
    assert.equal(res.status, 200, `GetTranscript with a junk empty-key signature: got HTTP ${res.status} ${text}`);
    const body = JSON.parse(text);
    assert.ok(Array.isArray(body.Transcript), `GetTranscript body: ${JSON.stringify(body)}`);
  } finally {
    customer.close();
  }
});

test('websocket upgrades need a valid URL token', async () => {
  const { customer } = await startCustomer();
  try {
    const good = new URL(customer.lastConnection.Websocket.Url);
    for (const [label, mutate] of [
      ['a made-up token', (u) => { for (const k of [...u.searchParams.keys()]) u.searchParams.set(k, 'not-a-token'); }],
      ['no query', (u) => { u.search = ''; }],
    ]) {
      const u = new URL(good);
      mutate(u);
      const outcome = await new Promise((resolve) => {
        const ws = new WebSocket(u.toString());
        ws.on('open', () => {
          ws.close();
          resolve('opened');
        });
        ws.on('unexpected-response', (req, res) => {
          req.destroy(); // ws leaves the refused request to us; an open one keeps node alive
          resolve(`HTTP ${res.statusCode}`);
        });
        ws.on('error', (err) => resolve(`error ${err.message}`));
      });
      assert.notEqual(outcome, 'opened', `websocket with ${label} (${u}) was accepted`);
    }
  } finally {
    customer.close();
  }
});
