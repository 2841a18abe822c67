// compat-tests scenarios (../scenarios.md) with @aws-sdk/client-sqs v3. The SDK's MD5 checks
// (middleware-sdk-sqs) stay on: a wrong MD5OfBody fails every send and receive here.
import { test } from "node:test";
import assert from "node:assert/strict";
import { createHash, randomBytes } from "node:crypto";
import {
  SQSClient,
  CreateQueueCommand,
  GetQueueUrlCommand,
  GetQueueAttributesCommand,
  SetQueueAttributesCommand,
  ListQueuesCommand,
  DeleteQueueCommand,
  TagQueueCommand,
  UntagQueueCommand,
  ListQueueTagsCommand,
  SendMessageCommand,
  SendMessageBatchCommand,
  ReceiveMessageCommand,
  DeleteMessageCommand,
  DeleteMessageBatchCommand,
  ChangeMessageVisibilityCommand,
  ChangeMessageVisibilityBatchCommand,
  PurgeQueueCommand,
  ListDeadLetterSourceQueuesCommand,
  StartMessageMoveTaskCommand,
  ListMessageMoveTasksCommand,
  QueueDoesNotExist,
  QueueNameExists,
  ReceiptHandleIsInvalid,
  ResourceNotFoundException,
} from "@aws-sdk/client-sqs";

const endpoint = process.env.AWS_ENDPOINT_URL;
const sqs = new SQSClient({
  endpoint,
  region: "us-east-1",
  credentials: { accessKeyId: "test", secretAccessKey: "test" },
});
const name = () => "js-" + randomBytes(6).toString("hex");
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

function md5OfAttributes(attributes) {
  const parts = [];
  const len = (b) => {
    const n = Buffer.alloc(4);
    n.writeUInt32BE(b.length);
    return Buffer.concat([n, b]);
  };
  for (const key of Object.keys(attributes).sort()) {
    const v = attributes[key];
    parts.push(len(Buffer.from(key)), len(Buffer.from(v.DataType)));
    if (v.BinaryValue !== undefined) parts.push(Buffer.from([2]), len(Buffer.from(v.BinaryValue)));
    else parts.push(Buffer.from([1]), len(Buffer.from(v.StringValue)));
  }
  return createHash("md5").update(Buffer.concat(parts)).digest("hex");
}

test("02 queue lifecycle and attributes", async () => {
  const n = name();
  const { QueueUrl } = await sqs.send(new CreateQueueCommand({ QueueName: n, Attributes: { VisibilityTimeout: "45" } }));
  assert.ok(QueueUrl.endsWith("/000000000000/" + n));
  assert.equal((await sqs.send(new GetQueueUrlCommand({ QueueName: n }))).QueueUrl, QueueUrl);
  await assert.rejects(
    sqs.send(new CreateQueueCommand({ QueueName: n, Attributes: { VisibilityTimeout: "46" } })),
    (e) => e instanceof QueueNameExists,
  );
  const { Attributes } = await sqs.send(new GetQueueAttributesCommand({ QueueUrl, AttributeNames: ["All"] }));
  assert.equal(Attributes.VisibilityTimeout, "45");
  assert.equal(Attributes.MaximumMessageSize, "1048576");
  await sqs.send(new SetQueueAttributesCommand({ QueueUrl, Attributes: { DelaySeconds: "1" } }));
  const listed = await sqs.send(new ListQueuesCommand({ QueueNamePrefix: n }));
  assert.deepEqual(listed.QueueUrls, [QueueUrl]);
  await sqs.send(new DeleteQueueCommand({ QueueUrl }));
});

test("03 tags", async () => {
  const { QueueUrl } = await sqs.send(new CreateQueueCommand({ QueueName: name(), tags: { team: "core" } }));
  await sqs.send(new TagQueueCommand({ QueueUrl, Tags: { env: "ci" } }));
  await sqs.send(new UntagQueueCommand({ QueueUrl, TagKeys: ["team"] }));
  assert.deepEqual((await sqs.send(new ListQueueTagsCommand({ QueueUrl }))).Tags, { env: "ci" });
});

test("04 message attributes and digests", async () => {
  const { QueueUrl } = await sqs.send(new CreateQueueCommand({ QueueName: name() }));
  const attributes = {
    City: { DataType: "String", StringValue: "Any City" },
    Count: { DataType: "Number", StringValue: "42" },
    Blob: { DataType: "Binary", BinaryValue: Uint8Array.from([1, 2, 3]) },
    Price: { DataType: "Number.float", StringValue: "1.5" },
  };
  const body = "Hello, world!\r\nwith CR ✓";
  const sent = await sqs.send(new SendMessageCommand({ QueueUrl, MessageBody: body, MessageAttributes: attributes }));
  assert.equal(sent.MD5OfMessageBody, createHash("md5").update(body).digest("hex"));
  assert.equal(sent.MD5OfMessageAttributes, md5OfAttributes(attributes));
  const { Messages } = await sqs.send(
    new ReceiveMessageCommand({ QueueUrl, MessageAttributeNames: ["All"], MessageSystemAttributeNames: ["All"] }),
  );
  const m = Messages[0];
  assert.equal(m.Body, body);
  assert.equal(m.MD5OfMessageAttributes, sent.MD5OfMessageAttributes);
  assert.deepEqual([...m.MessageAttributes.Blob.BinaryValue], [1, 2, 3]);
  assert.equal(m.MessageAttributes.Price.StringValue, "1.5");
  assert.equal(m.Attributes.ApproximateReceiveCount, "1");
});

test("05 AWSTraceHeader system attribute", async () => {
  const { QueueUrl } = await sqs.send(new CreateQueueCommand({ QueueName: name() }));
  const trace = "Root=1-5759e988-bd862e3fe1be46a994272793;Sampled=1";
  const sent = await sqs.send(
    new SendMessageCommand({
      QueueUrl,
      MessageBody: "traced",
      MessageSystemAttributes: { AWSTraceHeader: { DataType: "String", StringValue: trace } },
    }),
  );
  assert.equal(sent.MD5OfMessageSystemAttributes, "5f48eef650c1d0207456969c85af2fdd");
  assert.equal(sent.MD5OfMessageAttributes, undefined);
  const { Messages } = await sqs.send(new ReceiveMessageCommand({ QueueUrl, MessageSystemAttributeNames: ["AWSTraceHeader"] }));
  assert.deepEqual(Messages[0].Attributes, { AWSTraceHeader: trace });
});

test("08 delay", async () => {
  const { QueueUrl } = await sqs.send(new CreateQueueCommand({ QueueName: name() }));
  await sqs.send(new SendMessageCommand({ QueueUrl, MessageBody: "later", DelaySeconds: 1 }));
  const { Attributes } = await sqs.send(
    new GetQueueAttributesCommand({ QueueUrl, AttributeNames: ["ApproximateNumberOfMessagesDelayed"] }),
  );
  assert.equal(Attributes.ApproximateNumberOfMessagesDelayed, "1");
  assert.equal((await sqs.send(new ReceiveMessageCommand({ QueueUrl }))).Messages, undefined);
  const { Messages } = await sqs.send(new ReceiveMessageCommand({ QueueUrl, WaitTimeSeconds: 3 }));
  assert.equal(Messages[0].Body, "later");
});

test("06 batches with a partial failure", async () => {
  const { QueueUrl } = await sqs.send(
    new CreateQueueCommand({ QueueName: name(), Attributes: { MaximumMessageSize: "1024" } }),
  );
  const sent = await sqs.send(
    new SendMessageBatchCommand({
      QueueUrl,
      Entries: [
        { Id: "ok1", MessageBody: "one" },
        { Id: "big", MessageBody: "x".repeat(1025) },
        { Id: "ok2", MessageBody: "two" },
      ],
    }),
  );
  assert.deepEqual(sent.Successful.map((e) => e.Id).sort(), ["ok1", "ok2"]);
  assert.equal(sent.Failed[0].Id, "big");
  assert.equal(sent.Failed[0].Code, "InvalidParameterValue");
  const { Messages } = await sqs.send(new ReceiveMessageCommand({ QueueUrl, MaxNumberOfMessages: 10 }));
  assert.equal(Messages.length, 2);
  const changed = await sqs.send(
    new ChangeMessageVisibilityBatchCommand({
      QueueUrl,
      Entries: [
        { Id: "c", ReceiptHandle: Messages[0].ReceiptHandle, VisibilityTimeout: 5 },
        { Id: "bad", ReceiptHandle: "garbage", VisibilityTimeout: 5 },
      ],
    }),
  );
  assert.equal(changed.Failed[0].Code, "ReceiptHandleIsInvalid");
  const deleted = await sqs.send(
    new DeleteMessageBatchCommand({
      QueueUrl,
      Entries: Messages.map((m, i) => ({ Id: "d" + i, ReceiptHandle: m.ReceiptHandle })),
    }),
  );
  assert.equal(deleted.Successful.length, 2);
});

test("07 visibility heartbeat and redelivery", async () => {
  const { QueueUrl } = await sqs.send(new CreateQueueCommand({ QueueName: name() }));
  await sqs.send(new SendMessageCommand({ QueueUrl, MessageBody: "work" }));
  const first = (await sqs.send(new ReceiveMessageCommand({ QueueUrl }))).Messages[0];
  await sqs.send(new ChangeMessageVisibilityCommand({ QueueUrl, ReceiptHandle: first.ReceiptHandle, VisibilityTimeout: 120 }));
  assert.equal((await sqs.send(new ReceiveMessageCommand({ QueueUrl }))).Messages, undefined);
  await sqs.send(new ChangeMessageVisibilityCommand({ QueueUrl, ReceiptHandle: first.ReceiptHandle, VisibilityTimeout: 0 }));
  const again = (await sqs.send(new ReceiveMessageCommand({ QueueUrl, MessageSystemAttributeNames: ["All"] }))).Messages[0];
  assert.equal(again.MessageId, first.MessageId);
  assert.equal(again.Attributes.ApproximateReceiveCount, "2");
  await sqs.send(new DeleteMessageCommand({ QueueUrl, ReceiptHandle: again.ReceiptHandle }));
});

test("09 long polling woken by another client", async () => {
  const { QueueUrl } = await sqs.send(new CreateQueueCommand({ QueueName: name() }));
  setTimeout(() => sqs.send(new SendMessageCommand({ QueueUrl, MessageBody: "wake" })), 300);
  const started = Date.now();
  const { Messages } = await sqs.send(new ReceiveMessageCommand({ QueueUrl, WaitTimeSeconds: 10 }));
  const elapsed = Date.now() - started;
  assert.equal(Messages[0].Body, "wake");
  assert.ok(elapsed >= 250 && elapsed < 3000, `elapsed ${elapsed}`);
});

test("10 FIFO order, group locking and dedup", async () => {
  const { QueueUrl } = await sqs.send(
    new CreateQueueCommand({ QueueName: name() + ".fifo", Attributes: { FifoQueue: "true" } }),
  );
  for (const [g, b] of [["g1", "g1-m1"], ["g2", "g2-m1"], ["g1", "g1-m2"], ["g1", "g1-m3"]]) {
    await sqs.send(new SendMessageCommand({ QueueUrl, MessageBody: b, MessageGroupId: g, MessageDeduplicationId: b }));
  }
  const dup = await sqs.send(
    new SendMessageCommand({ QueueUrl, MessageBody: "g1-m1", MessageGroupId: "g1", MessageDeduplicationId: "g1-m1" }),
  );
  const { Messages } = await sqs.send(new ReceiveMessageCommand({ QueueUrl, MaxNumberOfMessages: 10 }));
  assert.deepEqual(Messages.map((m) => m.Body), ["g1-m1", "g1-m2", "g1-m3", "g2-m1"]);
  assert.equal(dup.MessageId, Messages[0].MessageId);
  assert.equal((await sqs.send(new ReceiveMessageCommand({ QueueUrl, MaxNumberOfMessages: 10 }))).Messages, undefined);
});

test("11 poison message reaches the DLQ; 14 move task back", async () => {
  const n = name();
  const dlq = (await sqs.send(new CreateQueueCommand({ QueueName: n + "-dlq" }))).QueueUrl;
  const dlqArn = (await sqs.send(new GetQueueAttributesCommand({ QueueUrl: dlq, AttributeNames: ["QueueArn"] })))
    .Attributes.QueueArn;
  const src = (
    await sqs.send(
      new CreateQueueCommand({
        QueueName: n,
        Attributes: {
          VisibilityTimeout: "0",
          RedrivePolicy: JSON.stringify({ deadLetterTargetArn: dlqArn, maxReceiveCount: 1 }),
        },
      }),
    )
  ).QueueUrl;
  await sqs.send(new SendMessageCommand({ QueueUrl: src, MessageBody: "poison" }));
  await sqs.send(new ReceiveMessageCommand({ QueueUrl: src }));
  assert.equal((await sqs.send(new ReceiveMessageCommand({ QueueUrl: src }))).Messages, undefined);
  assert.deepEqual((await sqs.send(new ListDeadLetterSourceQueuesCommand({ QueueUrl: dlq }))).queueUrls, [src]);
  await sqs.send(new StartMessageMoveTaskCommand({ SourceArn: dlqArn }));
  let task;
  for (let i = 0; i < 50; i++) {
    task = (await sqs.send(new ListMessageMoveTasksCommand({ SourceArn: dlqArn }))).Results[0];
    if (task.Status !== "RUNNING") break;
    await sleep(100);
  }
  assert.equal(task.Status, "COMPLETED");
  assert.equal(task.ApproximateNumberOfMessagesMoved, 1);
  assert.equal((await sqs.send(new ReceiveMessageCommand({ QueueUrl: src }))).Messages[0].Body, "poison");
  await assert.rejects(
    sqs.send(new StartMessageMoveTaskCommand({ SourceArn: dlqArn + "-missing" })),
    (e) => e instanceof ResourceNotFoundException,
  );
});

test("12 errors map to the exceptions SQS raises", async () => {
  await assert.rejects(sqs.send(new GetQueueUrlCommand({ QueueName: name() })), (e) => {
    assert.ok(e instanceof QueueDoesNotExist, e.name);
    assert.equal(e.$metadata.httpStatusCode, 400);
    return true;
  });
  const { QueueUrl } = await sqs.send(new CreateQueueCommand({ QueueName: name() }));
  await assert.rejects(
    sqs.send(new DeleteMessageCommand({ QueueUrl, ReceiptHandle: "garbage" })),
    (e) => e instanceof ReceiptHandleIsInvalid,
  );
  await assert.rejects(sqs.send(new SendMessageCommand({ QueueUrl, MessageBody: "x".repeat(1048577) })), (e) => {
    // Unmodeled errors take their name from x-amzn-query-error (the legacy code).
    assert.equal(e.name, "InvalidParameterValue");
    return true;
  });
});

test("13 purge and counters", async () => {
  const { QueueUrl } = await sqs.send(new CreateQueueCommand({ QueueName: name() }));
  for (const b of ["1", "2", "3"]) await sqs.send(new SendMessageCommand({ QueueUrl, MessageBody: b }));
  await sqs.send(new ReceiveMessageCommand({ QueueUrl }));
  const { Attributes } = await sqs.send(
    new GetQueueAttributesCommand({
      QueueUrl,
      AttributeNames: ["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"],
    }),
  );
  assert.deepEqual(Attributes, { ApproximateNumberOfMessages: "2", ApproximateNumberOfMessagesNotVisible: "1" });
  await sqs.send(new PurgeQueueCommand({ QueueUrl }));
});

// Scenario 16: the SDK's standard retry strategy (the default, 3 attempts in all) against the
// admin API's fault rules: throttling codes and 5xx are retried, then raised; an ordinary 400 is
// raised at once; a dropped connection is retried. `fired` counts the attempts that arrived.
async function admin(method, path, body) {
  const response = await fetch(endpoint + "/_admin" + path, {
    method,
    headers: {
      "content-type": "application/json",
      // A server verifying signatures guards its admin API with a token.
      ...(process.env.SQS_LOCAL_ADMIN_TOKEN ? { authorization: "Bearer " + process.env.SQS_LOCAL_ADMIN_TOKEN } : {}),
    },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return response.json();
}
const fired = async (rule) => (await admin("GET", "/faults")).faults.find((r) => r.id === rule.id).fired;

test("16 retries on injected faults", async () => {
  const queue = name();
  const { QueueUrl } = await sqs.send(new CreateQueueCommand({ QueueName: queue }));
  try {
    for (const [code, status] of [
      ["ThrottlingException", 400],
      ["RequestThrottled", 403],
      ["InternalError", 500],
      ["ServiceUnavailable", 503],
    ]) {
      let rule = await admin("POST", "/faults", { action: "SendMessage", queue, error: code, count: 2 });
      await sqs.send(new SendMessageCommand({ QueueUrl, MessageBody: "after two failures" }));
      assert.equal(await fired(rule), 2, code);
      rule = await admin("POST", "/faults", { action: "SendMessage", queue, error: code });
      await assert.rejects(sqs.send(new SendMessageCommand({ QueueUrl, MessageBody: "never" })), (e) => {
        assert.equal(e.$metadata.httpStatusCode, status, code);
        assert.equal(e.$metadata.attempts, 3, code);
        return true;
      });
      assert.equal(await fired(rule), 3, code);
      await admin("DELETE", "/faults");
    }
    const rule = await admin("POST", "/faults", { action: "SendMessage", queue, error: "InvalidParameterValue" });
    await assert.rejects(sqs.send(new SendMessageCommand({ QueueUrl, MessageBody: "m" })), (e) => {
      assert.equal(e.name, "InvalidParameterValue");
      assert.equal(e.$metadata.attempts, 1);
      return true;
    });
    assert.equal(await fired(rule), 1, "a 400 is not retried");
    await admin("DELETE", "/faults");
    const dropped = await admin("POST", "/faults", { action: "SendMessage", queue, dropConnection: true, count: 1 });
    await sqs.send(new SendMessageCommand({ QueueUrl, MessageBody: "after a reconnect" }));
    assert.equal(await fired(dropped), 1);
  } finally {
    await admin("DELETE", "/faults");
  }
});
