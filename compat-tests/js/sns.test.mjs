// SNS with @aws-sdk/client-sns v3 (AWS Query), fanning out into queues read with
// @aws-sdk/client-sqs (MD5 checks on). Each queue gets the Policy AWS requires before a topic may
// send to it (the verified compat pass enforces it).
import { test } from "node:test";
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import {
  SNSClient,
  CreateTopicCommand,
  DeleteTopicCommand,
  GetTopicAttributesCommand,
  ListSubscriptionsByTopicCommand,
  PublishBatchCommand,
  PublishCommand,
  SubscribeCommand,
  UnsubscribeCommand,
  NotFoundException,
  InvalidParameterException,
} from "@aws-sdk/client-sns";
import {
  SQSClient,
  CreateQueueCommand,
  GetQueueAttributesCommand,
  ReceiveMessageCommand,
  SetQueueAttributesCommand,
} from "@aws-sdk/client-sqs";

const config = {
  endpoint: process.env.AWS_ENDPOINT_URL,
  region: "us-east-1",
  credentials: { accessKeyId: "test", secretAccessKey: "test" },
};
const sns = new SNSClient(config);
const sqs = new SQSClient(config);
const name = (p) => `${p}-${randomBytes(5).toString("hex")}`;

async function subscribedQueue(topic, queueName, attributes = {}) {
  const fifo = queueName.endsWith(".fifo");
  const { QueueUrl } = await sqs.send(
    new CreateQueueCommand({ QueueName: queueName, Attributes: fifo ? { FifoQueue: "true" } : {} }),
  );
  const { Attributes } = await sqs.send(new GetQueueAttributesCommand({ QueueUrl, AttributeNames: ["QueueArn"] }));
  const policy = {
    Statement: [
      {
        Effect: "Allow",
        Principal: { Service: "sns.amazonaws.com" },
        Action: "sqs:SendMessage",
        Resource: Attributes.QueueArn,
        Condition: { ArnEquals: { "aws:SourceArn": topic } },
      },
    ],
  };
  await sqs.send(new SetQueueAttributesCommand({ QueueUrl, Attributes: { Policy: JSON.stringify(policy) } }));
  const { SubscriptionArn } = await sns.send(
    new SubscribeCommand({ TopicArn: topic, Protocol: "sqs", Endpoint: Attributes.QueueArn, Attributes: attributes }),
  );
  return { url: QueueUrl, subscription: SubscriptionArn };
}

const receive = async (url) =>
  (
    await sqs.send(
      new ReceiveMessageCommand({
        QueueUrl: url,
        MaxNumberOfMessages: 10,
        WaitTimeSeconds: 1,
        MessageAttributeNames: ["All"],
        MessageSystemAttributeNames: ["All"],
      }),
    )
  ).Messages ?? [];

test("17 sns: publish once, every queue gets the envelope", async () => {
  const { TopicArn } = await sns.send(new CreateTopicCommand({ Name: name("orders") }));
  const a = await subscribedQueue(TopicArn, name("billing"));
  const b = await subscribedQueue(TopicArn, name("logistic"));
  const { MessageId } = await sns.send(
    new PublishCommand({
      TopicArn,
      Message: "order 1",
      MessageAttributes: { event: { DataType: "String", StringValue: "order.v1.submit" } },
    }),
  );
  for (const q of [a, b]) {
    const [m] = await receive(q.url);
    const envelope = JSON.parse(m.Body);
    assert.equal(envelope.Type, "Notification");
    assert.equal(envelope.MessageId, MessageId);
    assert.equal(envelope.TopicArn, TopicArn);
    assert.equal(envelope.Message, "order 1");
    assert.deepEqual(envelope.MessageAttributes, { event: { Type: "String", Value: "order.v1.submit" } });
    assert.ok(envelope.UnsubscribeURL.includes(q.subscription));
  }
  const listed = await sns.send(new ListSubscriptionsByTopicCommand({ TopicArn }));
  assert.equal(listed.Subscriptions.length, 2);
  await sns.send(new UnsubscribeCommand({ SubscriptionArn: a.subscription }));
  await sns.send(new DeleteTopicCommand({ TopicArn }));
});

test("17 sns: raw delivery with a filter policy", async () => {
  const { TopicArn } = await sns.send(new CreateTopicCommand({ Name: name("raw") }));
  const q = await subscribedQueue(TopicArn, name("raw"), {
    RawMessageDelivery: "true",
    FilterPolicy: JSON.stringify({ kind: [{ prefix: "order." }] }),
  });
  for (const kind of ["order.created", "refund.created"]) {
    await sns.send(
      new PublishCommand({ TopicArn, Message: kind, MessageAttributes: { kind: { DataType: "String", StringValue: kind } } }),
    );
  }
  const messages = await receive(q.url);
  assert.deepEqual(messages.map((m) => m.Body), ["order.created"]);
  assert.equal(messages[0].MessageAttributes.kind.StringValue, "order.created");
});

test("17 sns: FIFO topic into a FIFO queue, deduplicated and in order", async () => {
  const { TopicArn } = await sns.send(
    new CreateTopicCommand({ Name: name("jobs") + ".fifo", Attributes: { FifoTopic: "true" } }),
  );
  const q = await subscribedQueue(TopicArn, name("jobs") + ".fifo", { RawMessageDelivery: "true" });
  const entries = ["a", "b", "c"].map((m, i) => ({ Id: `e${i}`, Message: m, MessageGroupId: "g", MessageDeduplicationId: m }));
  const batch = await sns.send(new PublishBatchCommand({ TopicArn, PublishBatchRequestEntries: entries }));
  assert.equal(batch.Successful.length, 3);
  assert.deepEqual(batch.Failed ?? [], []);
  const again = await sns.send(new PublishCommand({ TopicArn, Message: "a", MessageGroupId: "g", MessageDeduplicationId: "a" }));
  assert.equal(again.MessageId, batch.Successful[0].MessageId);
  const messages = await receive(q.url);
  assert.deepEqual(messages.map((m) => m.Body), ["a", "b", "c"]);
  assert.equal(messages[0].Attributes.MessageGroupId, "g");
  const { Attributes } = await sns.send(new GetTopicAttributesCommand({ TopicArn }));
  assert.equal(Attributes.FifoTopic, "true");
});

test("17 sns: typed errors", async () => {
  await assert.rejects(
    sns.send(new PublishCommand({ TopicArn: "arn:aws:sns:us-east-1:000000000000:" + name("none"), Message: "m" })),
    NotFoundException,
  );
  await assert.rejects(sns.send(new CreateTopicCommand({ Name: "no spaces" })), InvalidParameterException);
});
