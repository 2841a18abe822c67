// The console in a real browser: headless Chromium (Debian's package) driven by playwright-core,
// against the real binary ($SQS_LOCAL_BIN). Each console action is used as a person would use
// it, its effect is checked through the SQS API, and screenshots go to $SCREENSHOTS.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { mkdirSync } from "node:fs";
import { createServer } from "node:net";
import { chromium } from "playwright-core";

const BIN = process.env.SQS_LOCAL_BIN;
const SCREENSHOTS = process.env.SCREENSHOTS || "screenshots";
const CHROMIUM = process.env.CHROMIUM || "/usr/bin/chromium";
mkdirSync(SCREENSHOTS, { recursive: true });

let server, base, browser, page;
const consoleErrors = [];

const freePort = () => new Promise((resolve) => {
  const s = createServer().listen(0, "127.0.0.1", () => { const { port } = s.address(); s.close(() => resolve(port)); });
});

async function sqs(action, body = {}) {
  const response = await fetch(base + "/", { method: "POST", body: JSON.stringify(body),
    headers: { "X-Amz-Target": "AmazonSQS." + action, "Content-Type": "application/x-amz-json-1.0" } });
  const json = await response.json();
  if (!response.ok) throw new Error(JSON.stringify(json));
  return json;
}
const attrs = async (name) => (await sqs("GetQueueAttributes", { QueueUrl: `${base}/000000000000/${name}`, AttributeNames: ["All"] })).Attributes;
const shot = (name) => page.screenshot({ path: `${SCREENSHOTS}/${name}.png`, fullPage: true });
const cliText = () => page.locator("#cli-command").textContent();

before(async () => {
  const port = await freePort();
  base = `http://127.0.0.1:${port}`;
  server = spawn(BIN, ["--port", String(port), "--purge-cooldown", "false", "--delete-cooldown", "false"], { stdio: "ignore" });
  for (let i = 0; i < 100; i++) {
    try { if ((await fetch(base + "/health")).ok) break; } catch (_) { /* starting */ }
    await new Promise((r) => setTimeout(r, 50));
  }
  browser = await chromium.launch({ executablePath: CHROMIUM, args: ["--headless", "--no-sandbox", "--disable-gpu",
    "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run"] });
  page = await browser.newPage({ viewport: { width: 1366, height: 800 } });
  page.on("console", (m) => { if (m.type() === "error") consoleErrors.push(m.text()); });
  page.on("pageerror", (e) => consoleErrors.push(String(e)));
  page.on("dialog", (d) => d.accept());
});

after(async () => {
  await browser?.close();
  server?.kill();
});

test("queue list: create queues, FIFO and DLQ markers, live counts, oldest age, clock", async () => {
  await page.goto(base + "/console");
  await page.fill("#new-name", "orders-dlq");
  await page.click("#create");
  await page.locator('tr[data-queue="orders-dlq"]').waitFor();
  assert.match(await cliText(), /aws --endpoint-url http:\/\/127\.0\.0\.1:\d+ sqs create-queue --queue-name orders-dlq/);
  await page.fill("#new-name", "jobs.fifo");
  await page.check("#new-fifo");
  await page.check("#new-cbd");
  await page.press("#new-name", "Enter"); // keyboard: Enter submits
  await page.locator('tr[data-queue="jobs.fifo"] .badge.fifo').waitFor();
  assert.match(await cliText(), /create-queue --queue-name jobs\.fifo --attributes FifoQueue=true,ContentBasedDeduplication=true/);
  assert.equal((await attrs("jobs.fifo")).ContentBasedDeduplication, "true");

  const dlqArn = (await attrs("orders-dlq")).QueueArn;
  await sqs("CreateQueue", { QueueName: "orders", Attributes: { VisibilityTimeout: "0",
    RedrivePolicy: JSON.stringify({ deadLetterTargetArn: dlqArn, maxReceiveCount: 1 }) } });
  await sqs("TagQueue", { QueueUrl: `${base}/000000000000/orders`, Tags: { team: "checkout" } });
  await page.locator('tr[data-queue="orders-dlq"] .badge.dlq').waitFor();
  await page.locator('tr[data-queue="orders"] .badge.redrive').waitFor();

  // Live: counts change without a reload.
  for (const b of ["1", "2", "3"]) await sqs("SendMessage", { QueueUrl: `${base}/000000000000/orders`, MessageBody: b });
  await page.waitForFunction(() => document.querySelector('tr[data-queue="orders"] .visible')?.textContent === "3");
  await sqs("SendMessage", { QueueUrl: `${base}/000000000000/orders`, MessageBody: "d", DelaySeconds: 600 });
  await page.waitForFunction(() => document.querySelector('tr[data-queue="orders"] .delayed')?.textContent === "1");

  // The clock: advancing ends the delay; the oldest message ages with it.
  await page.fill("#advance-seconds", "600");
  await page.click("#advance");
  await page.waitForFunction(() => document.querySelector('tr[data-queue="orders"] .visible')?.textContent === "4");
  await page.waitForFunction(() => document.querySelector('tr[data-queue="orders"] .oldest')?.textContent === "10m");
  assert.match(await page.locator("#clock-offset").textContent(), /\+600s/);
  assert.match(await cliText(), /_admin\/clock\/advance/);

  // Keyboard: "/" focuses the filter.
  await page.keyboard.press("/");
  await page.keyboard.type("jobs");
  await page.waitForFunction(() => document.querySelectorAll("#queue-rows tr").length === 1);
  await shot("queue-list-filtered");
  await page.fill("#filter", "");
  await page.waitForFunction(() => document.querySelectorAll("#queue-rows tr").length === 3);
  await shot("queue-list");
});

test("queue page: attributes, tags, redrive policy; send with attributes and delay; message browser; delete; purge", async () => {
  await page.goto(base + "/console#/queue/orders");
  await page.locator("#send-form").waitFor();
  assert.match(await page.locator("#queue-attributes").textContent(), /VisibilityTimeout0/);
  const text = await page.textContent("main");
  assert.match(text, /dead-letter queueorders-dlq/);
  assert.match(text, /maxReceiveCount1/);
  assert.match(text, /teamcheckout/);

  await page.fill("#send-body", '{"order": 42, "items": ["a", "b"]}');
  await page.fill("#send-attr-name", "kind");
  await page.fill("#send-attr-value", "new");
  await page.fill("#send-delay", "30");
  await page.click("#send");
  await page.locator(".state-delayed").first().waitFor();
  assert.match(await cliText(), /send-message --queue-url \S+\/orders --message-body .* --message-attributes .*kind.* --delay-seconds 30/);
  const delayed = page.locator("tr", { has: page.locator(".state-delayed") }).first();
  assert.match(await delayed.locator(".message-body").textContent(), /\{\n  "order": 42,\n  "items": \[/, "JSON pretty-printed");
  assert.match(await delayed.textContent(), /kindnew \(String\)/);
  // In flight after a receive elsewhere; the browser shows it and changes nothing.
  await sqs("SetQueueAttributes", { QueueUrl: `${base}/000000000000/orders`, Attributes: { VisibilityTimeout: "300" } });
  await sqs("ReceiveMessage", { QueueUrl: `${base}/000000000000/orders` });
  await page.locator(".state-inFlight").first().waitFor();
  assert.equal((await attrs("orders")).ApproximateNumberOfMessagesNotVisible, "1");
  await page.waitForFunction(() => /ApproximateNumberOfMessagesNotVisible1/.test(document.querySelector("#queue-attributes").textContent),
    null, { timeout: 5000 }); // the attributes card follows the queue live
  await shot("message-browser");

  const before = Number((await attrs("orders")).ApproximateNumberOfMessagesDelayed);
  await delayed.locator(".delete-message").click();
  await page.waitForFunction(() => !document.querySelector(".state-delayed"));
  assert.equal(Number((await attrs("orders")).ApproximateNumberOfMessagesDelayed), before - 1);
  assert.match(await cliText(), /delete-message --queue-url \S+\/orders --receipt-handle/);

  await page.click("#purge");
  await page.waitForFunction(() => document.querySelector("#message-rows")?.textContent.includes("No messages."));
  assert.equal((await attrs("orders")).ApproximateNumberOfMessages, "0");
  assert.match(await cliText(), /purge-queue --queue-url \S+\/orders/);
});

test("FIFO: send with group and dedup ids; group and sequence number shown", async () => {
  await page.goto(base + "/console#/queue/jobs.fifo");
  await page.locator("#send-group").waitFor();
  await page.fill("#send-body", "first");
  await page.fill("#send-group", "customer-7");
  await page.fill("#send-dedup", "d-1");
  await page.click("#send");
  await page.locator("#message-rows tr[data-message]").first().waitFor();
  const row = await page.locator("#message-rows tr[data-message]").first().textContent();
  assert.match(row, /group customer-7/);
  assert.match(row, /seq \d{20}/);
  assert.match(await cliText(), /--message-group-id customer-7 --message-deduplication-id d-1/);
  // A queue that is no dead-letter queue has no redrive card, and nothing stands in its place.
  assert.doesNotMatch(await page.locator("#view").innerText(), /^null$/m);
  await shot("fifo-queue");
});

test("dead-letter redrive: start, watch progress, cancel", async () => {
  const orders = `${base}/000000000000/orders`;
  await sqs("PurgeQueue", { QueueUrl: orders });
  await sqs("PurgeQueue", { QueueUrl: `${base}/000000000000/orders-dlq` });
  for (let i = 0; i < 5; i++) await sqs("SendMessage", { QueueUrl: orders, MessageBody: `poison ${i}` });
  for (let i = 0; i < 12 && Number((await attrs("orders-dlq")).ApproximateNumberOfMessages) < 5; i++) {
    await sqs("ReceiveMessage", { QueueUrl: orders, MaxNumberOfMessages: 10, VisibilityTimeout: 0 });
  }
  assert.equal((await attrs("orders-dlq")).ApproximateNumberOfMessages, "5");
  await page.goto(base + "/console#/queue/orders-dlq");
  await page.locator("#start-redrive").click();
  await page.waitForFunction(() => document.querySelector("#task-rows .task-status")?.textContent === "COMPLETED");
  assert.match(await page.textContent("#task-rows"), /5 \/ 5/);
  assert.match(await cliText(), /start-message-move-task --source-arn arn:aws:sqs:us-east-1:000000000000:orders-dlq/);
  assert.equal((await attrs("orders")).ApproximateNumberOfMessages, "5");

  // A slow task, cancelled from the console.
  for (let i = 0; i < 12 && Number((await attrs("orders-dlq")).ApproximateNumberOfMessages) < 5; i++) {
    await sqs("ReceiveMessage", { QueueUrl: orders, MaxNumberOfMessages: 10, VisibilityTimeout: 0 });
  }
  const arn = (await attrs("orders-dlq")).QueueArn;
  await sqs("StartMessageMoveTask", { SourceArn: arn, MaxNumberOfMessagesPerSecond: 1 });
  await page.reload();
  await page.locator("#cancel-task").click();
  await page.waitForFunction(() => /CANCEL/.test(document.querySelector("#task-rows .task-status")?.textContent || ""));
  assert.match(await cliText(), /cancel-message-move-task --task-handle /);
  await shot("redrive");
});

test("SNS topics: create, subscribe a queue raw with a filter, publish, see it arrive; unsubscribe; delete", async () => {
  await page.goto(base + "/console#/");
  await page.fill("#new-topic", "order-events");
  await page.click("#create-topic");
  await page.locator('tr[data-topic="order-events"]').waitFor();
  assert.match(await cliText(), /aws --endpoint-url http:\/\/127\.0\.0\.1:\d+ sns create-topic --name order-events/);
  await sqs("CreateQueue", { QueueName: "billing" });
  await page.click('tr[data-topic="order-events"] a');
  await page.locator("#subscribe-form").waitFor();
  await page.selectOption("#subscribe-queue", { label: "billing" });
  await page.check("#subscribe-raw");
  await page.fill("#subscribe-filter", '{"event":["order.v1.submit"]}');
  await page.click("#subscribe");
  await page.locator('tr[data-subscription="billing"] .filter-policy').waitFor();
  await page.waitForFunction(() => /SubscriptionsConfirmed\s*1/.test(document.querySelector("#topic-attributes")?.textContent || ""));
  assert.match(await cliText(), /sns subscribe --topic-arn arn:aws:sns:us-east-1:000000000000:order-events --protocol sqs --notification-endpoint arn:aws:sqs:us-east-1:000000000000:billing --attributes/);
  for (const event of ["order.v1.submit", "order.v1.cancel"]) {
    await page.fill("#publish-message", `{"order": 7, "event": "${event}"}`);
    await page.fill("#publish-attr-name", "event");
    await page.fill("#publish-attr-value", event);
    await page.click("#publish");
    await page.getByText("Published").first().waitFor();
  }
  assert.match(await cliText(), /sns publish --topic-arn \S+order-events --message .* --message-attributes/);
  await shot("topic");
  const { Messages = [] } = await sqs("ReceiveMessage", { QueueUrl: `${base}/000000000000/billing`, MaxNumberOfMessages: 10 });
  assert.deepEqual(Messages.map((m) => JSON.parse(m.Body).event), ["order.v1.submit"], "raw, and filtered");
  await page.locator('tr[data-subscription="billing"] .unsubscribe').click();
  await page.getByText("No subscriptions.").waitFor();
  await page.goto(base + "/console#/");
  await page.waitForFunction(() => document.querySelector('tr[data-topic="order-events"] .published')?.textContent === "2");
  await page.locator('tr[data-topic="order-events"] .delete-topic').click();
  await page.waitForFunction(() => !document.querySelector('tr[data-topic="order-events"]'));
  assert.match(await cliText(), /sns delete-topic --topic-arn \S+:order-events/);
});

test("delete a queue; no console errors in all of the above", async () => {
  await page.goto(base + "/console#/");
  await page.locator('tr[data-queue="jobs.fifo"] .delete-queue').click();
  await page.waitForFunction(() => !document.querySelector('tr[data-queue="jobs.fifo"]'));
  assert.match(await cliText(), /delete-queue --queue-url \S+\/jobs\.fifo/);
  const { QueueUrls = [] } = await sqs("ListQueues");
  assert.ok(!QueueUrls.some((u) => u.endsWith("/jobs.fifo")));
  assert.deepEqual(consoleErrors, []);
  // An unknown queue's page says so instead of breaking (the browser logs the 400 itself).
  await page.goto(base + "/console#/queue/nope");
  await page.getByText("does not exist").waitFor();
  await page.keyboard.press("Escape");
  await page.locator("#queue-rows").waitFor();
  assert.deepEqual(consoleErrors.filter((e) => !/status of 400/.test(e)), [], "nothing but the 400 itself");
});
