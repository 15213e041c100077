// gen.mjs writes ../fixtures.json: Amazon Connect style requests signed by the
// AWS JS SDK v3 signer, so the Go sigv4 package can prove it computes the very
// same signatures without Node at test time.
//
// Two kinds of cases:
//   - "signature-v4": hand-built requests signed directly with
//     @smithy/signature-v4, configured as the SDK configures it for a non-S3
//     service (uriEscapePath and applyChecksum left at their defaults);
//   - "client-connect": requests built and signed by the real
//     @aws-sdk/client-connect, captured by a request handler that never sends
//     anything over the network.
//
// Run with `npm ci && npm run gen` in this folder. The output depends only on
// the fixed inputs below, except for the SDK's random invocation ids, which
// are recorded in the fixture like every other header.

import { writeFileSync } from "node:fs";
import { Readable } from "node:stream";
import { SignatureV4, SignatureV4Base } from "@smithy/signature-v4";
import { Hash } from "@smithy/hash-node";
import {
  HttpRequest,
  HttpResponse,
  buildQueryString,
  extendedEncodeURIComponent,
} from "@smithy/core/protocols";
import {
  ConnectClient,
  StartChatContactCommand,
  DescribeContactCommand,
  GetContactAttributesCommand,
  UpdateParticipantRoleConfigCommand,
  ListQueuesCommand,
  StopContactCommand,
} from "@aws-sdk/client-connect";

// AWS's documented example credentials; they open nothing.
const ACCESS_KEY_ID = "AKIDEXAMPLE";
const SECRET = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";
const SESSION_TOKEN =
  "IQoJb3JpZ2luX2VjEXAMPLE//////////wEaCXVzLXdlc3QtMiJHMEUCIQDexample+token/with=chars";
const SIGNING_TIME = new Date("2025-03-14T09:26:53Z");
const REGION = "us-west-2";
const SERVICE = "connect";
const HOST = "connect.us-west-2.amazonaws.com";

const INSTANCE_ID = "a1b2c3d4-5678-90ab-cdef-EXAMPLE11111";
const INSTANCE_ARN = `arn:aws:connect:us-west-2:123456789012:instance/${INSTANCE_ID}`;
const CONTACT_ID = "c0ffee00-1234-4abc-9def-EXAMPLE22222";

// Record what the signer saw: the request before signing and the canonical
// request it built, so a failing Go test can show where the two differ.
let lastCanonicalRequest = null;
const origCanonical = SignatureV4Base.prototype.createCanonicalRequest;
SignatureV4Base.prototype.createCanonicalRequest = function (...args) {
  lastCanonicalRequest = origCanonical.apply(this, args);
  return lastCanonicalRequest;
};
let lastUnsigned = null;
const origSignRequest = SignatureV4.prototype.signRequest;
SignatureV4.prototype.signRequest = function (request, ...rest) {
  lastUnsigned = { headers: { ...request.headers } };
  return origSignRequest.call(this, request, ...rest);
};

const bodyString = (body) => {
  if (body === undefined || body === null) return "";
  if (typeof body === "string") return body;
  if (body instanceof Uint8Array) return new TextDecoder("utf-8", { fatal: true }).decode(body);
  throw new Error(`unsupported body type ${typeof body}`);
};

// The SDK's user-agent describes the machine that ran this script. It is never
// signed (the signer skips it), so a fixed value keeps the fixture neutral
// while still proving that Verify ignores unsigned headers.
const NEUTRAL_USER_AGENT = "aws-sdk-js/3 (fixture)";
const lowerKeys = (headers) =>
  Object.fromEntries(
    Object.entries(headers).map(([k, v]) => {
      const name = k.toLowerCase();
      return [name, name === "user-agent" ? NEUTRAL_USER_AGENT : String(v)];
    }),
  );

function record(name, source, description, signed, credentials) {
  if (!lastCanonicalRequest || !lastUnsigned) {
    throw new Error(`${name}: signer hooks did not run`);
  }
  const headers = lowerKeys(signed.headers);
  const fixture = {
    name,
    source,
    description,
    signingTime: SIGNING_TIME.toISOString().replace(/\.\d{3}Z$/, "Z"),
    region: REGION,
    service: SERVICE,
    accessKeyId: credentials.accessKeyId,
    secretAccessKey: credentials.secretAccessKey,
    sessionToken: credentials.sessionToken ?? "",
    method: signed.method,
    path: signed.path,
    query: buildQueryString(signed.query ?? {}),
    unsignedHeaders: lowerKeys(lastUnsigned.headers),
    headers,
    body: bodyString(signed.body),
    authorization: headers.authorization,
    canonicalRequest: lastCanonicalRequest,
  };
  lastCanonicalRequest = null;
  lastUnsigned = null;
  return fixture;
}

const enc = extendedEncodeURIComponent;
const creds = { accessKeyId: ACCESS_KEY_ID, secretAccessKey: SECRET };
const credsWithToken = { ...creds, sessionToken: SESSION_TOKEN };

const baseHeaders = (extra = {}) => ({
  host: HOST,
  "content-type": "application/json",
  ...extra,
});

const directCases = [
  {
    name: "start-chat-contact",
    description: "PUT /contact/chat with a JSON body holding non-ASCII text",
    request: {
      method: "PUT",
      path: "/contact/chat",
      headers: baseHeaders(),
      body: JSON.stringify({
        InstanceId: INSTANCE_ID,
        ContactFlowId: "f10e0000-0000-4000-8000-000000000001",
        ParticipantDetails: { DisplayName: "Zoë Ünal" },
        InitialMessage: { ContentType: "text/plain", Content: "Hallo 👋, ça va?" },
        ClientToken: "5b0a6a5c-8e8e-4a36-9f7e-0e8f1c6c0001",
      }),
    },
  },
  {
    name: "describe-contact-arn-labels",
    description: "GET with path labels holding ':' and '/', encoded once by the SDK and again by the signer",
    request: {
      method: "GET",
      path: `/contacts/${enc(INSTANCE_ARN)}/${enc(CONTACT_ID)}`,
      headers: { host: HOST },
    },
  },
  {
    name: "get-contact-attributes",
    description: "GET /contact/attributes/{InstanceId}/{InitialContactId}",
    request: {
      method: "GET",
      path: `/contact/attributes/${enc(INSTANCE_ID)}/${enc(CONTACT_ID)}`,
      headers: { host: HOST },
    },
  },
  {
    name: "query-repeated-keys",
    description: "repeated query keys, values sorted per key by the signer",
    request: {
      method: "GET",
      path: `/queues-summary/${enc(INSTANCE_ID)}`,
      query: {
        queueTypes: ["STANDARD", "AGENT"],
        maxResults: "10",
        nextToken: "b+c/d==",
      },
      headers: { host: HOST },
    },
  },
  {
    name: "query-needs-encoding",
    description: "query keys and values with spaces, unicode and sub-delimiters",
    request: {
      method: "GET",
      path: "/users-summary/x",
      query: {
        "a key": "a value",
        "ünï": "çødé",
        sub: "!'()*~-_.",
        eq: "a=b&c",
        empty: "",
        plus: "1+1",
      },
      headers: { host: HOST },
    },
  },
  {
    name: "path-spaces-unicode",
    description: "path segments with spaces, unicode and reserved characters",
    request: {
      method: "GET",
      path: ["", "files", "hello world", "café", "日本", "a+b", "~tilde_", "*star(1)"].map(enc).join("/"),
      headers: { host: HOST },
    },
  },
  {
    name: "path-dot-segments",
    description: "dot segments and an empty segment, normalised by the signer before escaping",
    request: {
      method: "GET",
      path: "/contact/./attributes//x/../y/",
      headers: { host: HOST },
    },
  },
  {
    name: "header-whitespace",
    description: "header values with runs of spaces and tabs; unsignable headers left out",
    request: {
      method: "POST",
      path: "/contact/stop",
      headers: baseHeaders({
        "X-Parley-Note": "  two   spaces\t\tand tabs  ",
        "x-amz-user-agent": "aws-sdk-js/3.0.0   ua/2.1",
        "user-agent": "not signed",
        "x-amzn-trace-id": "Root=1-not-signed",
        expect: "100-continue",
      }),
      body: JSON.stringify({ InstanceId: INSTANCE_ID, ContactId: CONTACT_ID }),
    },
  },
  {
    name: "session-token",
    description: "temporary credentials: X-Amz-Security-Token is added and signed",
    credentials: credsWithToken,
    request: {
      method: "POST",
      path: "/contact/create-participant",
      headers: baseHeaders(),
      body: JSON.stringify({ InstanceId: INSTANCE_ID, ContactId: CONTACT_ID, ParticipantDetails: { ParticipantRole: "CUSTOM_BOT", DisplayName: "bot" } }),
    },
  },
  {
    name: "unsigned-payload",
    description: "x-amz-content-sha256: UNSIGNED-PAYLOAD set by the caller",
    request: {
      method: "POST",
      path: "/contact/stop",
      headers: baseHeaders({ "x-amz-content-sha256": "UNSIGNED-PAYLOAD" }),
      body: JSON.stringify({ InstanceId: INSTANCE_ID, ContactId: CONTACT_ID }),
    },
  },
  {
    name: "empty-body-post",
    description: "POST without a body hashes the empty string",
    request: {
      method: "POST",
      path: "/contact/stop",
      headers: { host: HOST },
    },
  },
  {
    name: "host-with-port",
    description: "self-hosted endpoint with an explicit port in Host",
    request: {
      method: "PUT",
      path: "/contact/chat",
      headers: baseHeaders({ host: "parley.example.test:8443" }),
      body: "{}",
    },
  },
];

const fixtures = [];
for (const c of directCases) {
  const credentials = c.credentials ?? creds;
  const signer = new SignatureV4({
    credentials,
    region: REGION,
    service: SERVICE,
    sha256: Hash.bind(null, "sha256"),
  });
  const request = new HttpRequest({
    protocol: "https:",
    hostname: c.request.headers.host,
    method: c.request.method,
    path: c.request.path,
    query: c.request.query ?? {},
    headers: { ...c.request.headers },
    body: c.request.body,
  });
  const signed = await signer.sign(request, { signingDate: SIGNING_TIME });
  fixtures.push(record(c.name, "signature-v4", c.description, signed, credentials));
}

// The real client. Date.now is pinned so the SDK signs at SIGNING_TIME, and
// random UUIDs (invocation ids) are pinned so the output is reproducible.
const realNow = Date.now;
Date.now = () => SIGNING_TIME.getTime();
let uuidCount = 0;
globalThis.crypto.randomUUID = () =>
  `00000000-0000-4000-8000-${String(++uuidCount).padStart(12, "0")}`;
let captured = null;
const client = new ConnectClient({
  region: REGION,
  credentials: creds,
  maxAttempts: 1,
  requestHandler: {
    handle: async (request) => {
      captured = request;
      return {
        response: new HttpResponse({
          statusCode: 200,
          headers: { "content-type": "application/json" },
          body: Readable.from([Buffer.from("{}")]),
        }),
      };
    },
  },
});

const clientCases = [
  {
    name: "client-start-chat-contact",
    description: "StartChatContact as the real client sends it",
    command: new StartChatContactCommand({
      InstanceId: INSTANCE_ID,
      ContactFlowId: "f10e0000-0000-4000-8000-000000000001",
      ParticipantDetails: { DisplayName: "Customer Ü" },
      Attributes: { orderId: "A-17", note: "spaces  and  ünicode" },
      InitialMessage: { ContentType: "text/plain", Content: "Hi there" },
      ChatDurationInMinutes: 60,
      ClientToken: "5b0a6a5c-8e8e-4a36-9f7e-0e8f1c6c0002",
    }),
  },
  {
    name: "client-describe-contact-arn",
    description: "DescribeContact with an instance ARN as InstanceId",
    command: new DescribeContactCommand({ InstanceId: INSTANCE_ARN, ContactId: CONTACT_ID }),
  },
  {
    name: "client-get-contact-attributes",
    description: "GetContactAttributes",
    command: new GetContactAttributesCommand({ InstanceId: INSTANCE_ID, InitialContactId: CONTACT_ID }),
  },
  {
    name: "client-update-participant-role-config",
    description: "PUT with two path labels and a nested JSON body",
    command: new UpdateParticipantRoleConfigCommand({
      InstanceId: INSTANCE_ID,
      ContactId: CONTACT_ID,
      ChannelConfiguration: {
        Chat: { ParticipantTimerConfigList: [{ ParticipantRole: "CUSTOMER", TimerType: "IDLE", TimerValue: { ParticipantTimerDurationInMinutes: 5 } }] },
      },
    }),
  },
  {
    name: "client-list-queues",
    description: "ListQueues: repeated queueTypes and a nextToken needing encoding",
    command: new ListQueuesCommand({
      InstanceId: INSTANCE_ID,
      QueueTypes: ["STANDARD", "AGENT"],
      NextToken: "tok+en/with=chars",
      MaxResults: 25,
    }),
  },
  {
    name: "client-stop-contact",
    description: "StopContact",
    command: new StopContactCommand({ InstanceId: INSTANCE_ID, ContactId: CONTACT_ID }),
  },
];

for (const c of clientCases) {
  captured = null;
  await client.send(c.command);
  if (!captured) throw new Error(`${c.name}: nothing captured`);
  fixtures.push(record(c.name, "client-connect", c.description, captured, creds));
}
Date.now = realNow;

const out = {
  comment:
    "Generated by gen/gen.mjs with the AWS JS SDK v3 signer. Do not edit by hand; regenerate with `npm ci && npm run gen` in gen/.",
  generator: {
    "@smithy/signature-v4": (await import("@smithy/signature-v4/package.json", { with: { type: "json" } })).default.version,
    "@aws-sdk/client-connect": (await import("@aws-sdk/client-connect/package.json", { with: { type: "json" } })).default.version,
  },
  cases: fixtures,
};
writeFileSync(new URL("../fixtures.json", import.meta.url), JSON.stringify(out, null, 2) + "\n");
console.log(`wrote ${fixtures.length} cases`);
