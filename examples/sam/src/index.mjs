// The orders-api example handler: takes a batch of order messages from SQS.
export const handler = async (event) => {
  for (const record of event.Records ?? []) {
    const order = JSON.parse(record.body);
    if (!order.id) throw new Error(`order without an id: ${record.messageId}`);
  }
  return { processed: (event.Records ?? []).length };
};
